#!/usr/bin/env python3
"""Writes api/src/test/resources/corpus/hostile.jsonl: the hostile-input corpus that
HostileCorpusTest sends to a running api (issue 12). Rerun after changing it:

    python3 api/src/test/corpus/generate.py

Each line is one request: name, method, path, headers, and a body given as text ("body") or as
base64 ("body_b64") for bytes that are not valid UTF-8. Placeholders filled by the test:
{key} a tenant's key, {admin} the admin token, {job} a job of that tenant, {other_job} another
tenant's job, {tenant} the tenant's id, {key_id} its key's id. "auth" says which bearer to send:
key, admin, none (no Authorization) or raw (the case's own headers). "expect" is a status, or
"4xx" (any client error), or "any" for input that is only odd (valid to accept): never a 5xx
either way, and every 4xx is problem+json whose code matches its status, except "plain" cases: a
request the HTTP layer refuses before it is routed (a URI that is not one, headers over the size
limit) may get a bare 4xx without a body.
Deterministic: no randomness, so the file only changes when this script does.
"""
import base64
import json
import os

cases = []


def add(name, method, path, body=None, auth="key", headers=None, expect="4xx", raw=None,
        plain=False):
    case = {"name": name, "method": method, "path": path, "auth": auth, "expect": expect,
            "headers": headers if headers is not None else {}}
    if plain:
        case["plain"] = True
    if raw is not None:
        case["body_b64"] = base64.b64encode(raw).decode()
    elif body is not None:
        case["body"] = body
        case["headers"].setdefault("Content-Type", "application/json")
    cases.append(case)


def job(request=None, **extra):
    body = {"request": request if request is not None else
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}}
    body.update(extra)
    return json.dumps(body)


def with_request(**fields):
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    request.update(fields)
    return job(request)


BODY_ENDPOINTS = [
    ("submit", "POST", "/v1/jobs", "key"),
    ("tenant create", "POST", "/v1/admin/tenants", "admin"),
    ("tenant patch", "PATCH", "/v1/admin/tenants/{tenant}", "admin"),
    ("key create", "POST", "/v1/admin/tenants/{tenant}/keys", "admin"),
    ("key patch", "PATCH", "/v1/admin/keys/{key_id}", "admin"),
]

# 1. Malformed JSON, on every endpoint that takes a body.
MALFORMED = {
    "open brace": "{", "close brace": "}", "open bracket": "[", "bare string": '"x"',
    "bare number": "42", "null": "null", "array": "[]", "truncated literal": "nul",
    "missing value": '{"name":}', "single quotes": "{'name':'x'}", "trailing comma": '{"name":"x",}',
    "comment": '{"name":"x" /* c */}', "NaN": '{"name":NaN}', "Infinity": '{"name":Infinity}',
    "extra brace": '{"name":"x"}}', "two objects": '{"name":"x"}{"name":"y"}',
    "trailing garbage": '{"name":"x"} garbage', "duplicate key": '{"name":"x","name":"y"}',
    "unquoted key": "{name:1}", "control char in string": '{"name":"a\u0001b"}',
    "deep arrays": "[" * 5000 + "]" * 5000, "deep objects": '{"a":' * 3000 + "1" + "}" * 3000,
    "whitespace only": "   ", "empty": "",
}
for ep_name, method, path, auth in BODY_ENDPOINTS:
    for name, body in MALFORMED.items():
        add(f"{ep_name}: {name}", method, path, body, auth)
    add(f"{ep_name}: invalid utf-8", method, path, auth=auth,
        headers={"Content-Type": "application/json"}, raw=b'{"name":"\xff\xfe\xc3"}')
    # RFC 8259 asks for UTF-8 between systems; Jackson would read UTF-16 and UTF-32 anyway.
    add(f"{ep_name}: utf-16 body", method, path, auth=auth, expect=400,
        headers={"Content-Type": "application/json"}, raw='{"name":"x"}'.encode("utf-16"))
    add(f"{ep_name}: utf-16be body without a mark", method, path, auth=auth, expect=400,
        headers={"Content-Type": "application/json"}, raw='{"name":"x"}'.encode("utf-16-be"))
    add(f"{ep_name}: utf-32le body", method, path, auth=auth, expect=400,
        headers={"Content-Type": "application/json"}, raw='{"name":"x"}'.encode("utf-32-le"))
    add(f"{ep_name}: no content type", method, path, auth=auth, headers={},
        raw=b'{"name":"x"}', expect=415)
    add(f"{ep_name}: text/plain", method, path, '{"name":"x"}', auth,
        headers={"Content-Type": "text/plain"}, expect=415)
    add(f"{ep_name}: xml", method, path, "<name>x</name>", auth,
        headers={"Content-Type": "application/xml"}, expect=415)
    add(f"{ep_name}: form", method, path, "name=x", auth,
        headers={"Content-Type": "application/x-www-form-urlencoded"}, expect=415)

# 2. Wrong types and values in a submission.
SUBMIT_BAD = {
    "request is a string": job("gpt-4o-mini"),
    "request is an array": job([]),
    "request is null": json.dumps({"request": None}),
    "no request": json.dumps({"cache": "default"}),
    "unknown top-level field": job(surprise=1),
    "model is a number": with_request(model=4),
    "model is null": with_request(model=None),
    "model is empty": with_request(model=""),
    "unknown model": with_request(model="gpt-17-ultra"),
    "model 10k chars": with_request(model="m" * 10000),
    "model with bidi override": with_request(model="gpt-4o-mini\u202e"),
    "model with NUL": with_request(model="gpt-4o-mini\u0000"),
    "messages is an object": with_request(messages={"role": "user"}),
    "messages is empty": with_request(messages=[]),
    "messages is a string": with_request(messages="hi"),
    "message without role": with_request(messages=[{"content": "hi"}]),
    "message with bad role": with_request(messages=[{"role": "god", "content": "hi"}]),
    "content is a number": with_request(messages=[{"role": "user", "content": 5}]),
    "content part without type": with_request(messages=[{"role": "user", "content": [{"text": "x"}]}]),
    "max_tokens is a string": with_request(max_tokens="10"),
    "max_tokens negative": with_request(max_tokens=-1),
    "max_tokens zero": with_request(max_tokens=0),
    "max_tokens fraction": with_request(max_tokens=1.5),
    "max_tokens boolean": with_request(max_tokens=True),
    "max_tokens huge": '{"request":{"model":"gpt-4o-mini","max_tokens":1e400,"messages":[{"role":"user","content":"hi"}]}}',
    "max_tokens beyond long": '{"request":{"model":"gpt-4o-mini","max_tokens":99999999999999999999999,"messages":[{"role":"user","content":"hi"}]}}',
    "temperature is a string": with_request(temperature="hot"),
    "temperature negative": with_request(temperature=-1),
    "temperature too high": with_request(temperature=3),
    "top_p above one": with_request(top_p=1.5),
    "n zero": with_request(n=0),
    "n huge": with_request(n=100000),
    "stop is a number": with_request(stop=5),
    "stop too many": with_request(stop=["a", "b", "c", "d", "e"]),
    "seed is a string": with_request(seed="x"),
    "presence_penalty out of range": with_request(presence_penalty=5),
    "frequency_penalty string": with_request(frequency_penalty="x"),
    "tools is an object": with_request(tools={"type": "function"}),
    "tool without function": with_request(tools=[{"type": "function"}]),
    "tool_choice bogus": with_request(tool_choice="sometimes"),
    "response_format bogus": with_request(response_format={"type": "yaml"}),
    "json_schema without schema": with_request(response_format={"type": "json_schema"}),
    "unknown request field": with_request(logit_bias_extreme=1),
    "cache bogus": job(cache="sometimes"),
    "cache number": job(cache=1),
    "metadata is a string": job(metadata="x"),
    "metadata nested": job(metadata={"a": {"b": "c"}}),
    "metadata number value": job(metadata={"a": 1}),
    "metadata 17 pairs": job(metadata={f"k{i}": "v" for i in range(17)}),
    "metadata long key": job(metadata={"k" * 300: "v"}),
    "metadata long value": job(metadata={"k": "v" * 5000}),
    "metadata NUL key": job(metadata={"a\u0000b": "v"}),
    "deadline negative": job(deadline_seconds=-1),
    "deadline zero": job(deadline_seconds=0),
    "deadline string": job(deadline_seconds="60"),
    "deadline huge": job(deadline_seconds=10**15),
    "max_attempts zero": job(max_attempts=0),
    "max_attempts eleven": job(max_attempts=11),
    "max_attempts string": job(max_attempts="3"),
    "priority bogus": job(priority="urgent"),
    "priority upper case": job(priority="HIGH"),
    "priority empty": job(priority=""),
    "priority number": job(priority=0),
    "priority boolean": job(priority=True),
    "priority array": job(priority=["high"]),
    "priority object": job(priority={"level": "high"}),
    "priority padded": job(priority=" low"),
    "priority 10k chars": job(priority="h" * 10000),
    "context_policy bogus": job(context_policy="drop"),
    "context_policy upper case": job(context_policy="TRIM"),
    "context_policy capitalised": job(context_policy="Reject"),
    "context_policy empty": job(context_policy=""),
    "context_policy padded": job(context_policy="trim "),
    "context_policy number": job(context_policy=1),
    "context_policy boolean": job(context_policy=True),
    "context_policy array": job(context_policy=["trim"]),
    "context_policy object": job(context_policy={"mode": "trim"}),
    "context_policy 10k chars": job(context_policy="t" * 10000),
    "webhook_url not a url": job(webhook_url="not a url"),
    "webhook_url ftp": job(webhook_url="ftp://example.com/hook"),
    "webhook_url with credentials": job(webhook_url="https://user:pw@example.com/hook"),
    "webhook_url 10k chars": job(webhook_url="https://example.com/" + "a" * 10000),
    "webhook_url number": job(webhook_url=5),
}
for name, body in SUBMIT_BAD.items():
    add(f"submit: {name}", "POST", "/v1/jobs", body)
# Jobs that could never run: their worst case passes a minute of the provider's token limit
# (limited-mini: a model of the test profile's "limited" provider, 20,000 tokens per minute).
NEVER_FITS = {
    "never fits the provider's limit": with_request(model="limited-mini", max_tokens=1000000),
    "never fits with n choices": with_request(model="limited-mini", max_tokens=2000, n=16),
    "never fits with a huge prompt": with_request(
        model="limited-mini", max_tokens=1,
        messages=[{"role": "user", "content": "x" * 90000}]),
}
for name, body in NEVER_FITS.items():
    add(f"submit: {name}", "POST", "/v1/jobs", body, expect=400)
# Requests past their model's output limit or context window (small-window: a model of the test
# profile with a 1,000-token window and at most 500 output tokens).
LONG_PROMPT = [{"role": "system", "content": "Be brief."},
               {"role": "user", "content": "delta " * 1200}]
PAST_THE_WINDOW = {
    "max_tokens above the model's output limit": with_request(max_tokens=16385),
    "max_completion_tokens above the output limit": with_request(
        model="small-window", max_completion_tokens=501),
    "prompt past the context window": with_request(
        model="small-window", max_tokens=10, messages=LONG_PROMPT),
    "prompt past the window even trimmed": job(
        {"model": "small-window", "max_tokens": 10, "messages": LONG_PROMPT},
        context_policy="trim"),
}
for name, body in PAST_THE_WINDOW.items():
    add(f"submit: {name}", "POST", "/v1/jobs", body, expect=400)

# 3. Unicode edge cases in a prompt: odd, but a prompt may hold any text; lone surrogates and NUL
# cannot be stored as JSON text in PostgreSQL, so they must be refused, never a 5xx.
add("submit: lone high surrogate", "POST", "/v1/jobs",
    '{"request":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a\\ud800b"}]}}')
add("submit: lone low surrogate", "POST", "/v1/jobs",
    '{"request":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a\\udc00b"}]}}')
add("submit: escaped NUL in prompt", "POST", "/v1/jobs",
    '{"request":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a\\u0000b"}]}}')
add("submit: bidi override in prompt", "POST", "/v1/jobs",
    with_request(messages=[{"role": "user", "content": "abc\u202edef\u2066x\u2069"}]), expect="any")
add("submit: zero-width and emoji", "POST", "/v1/jobs",
    with_request(messages=[{"role": "user", "content": "\u200b\ufeff\U0001F600" * 50}]), expect="any")
add("submit: body over 1 MiB", "POST", "/v1/jobs",
    with_request(messages=[{"role": "user", "content": "x" * (1024 * 1024 + 10)}]), expect=413)
add("tenant create: name with NUL", "POST", "/v1/admin/tenants",
    '{"name":"a\\u0000b"}', "admin")
add("tenant create: name lone surrogate", "POST", "/v1/admin/tenants",
    '{"name":"a\\udfffb"}', "admin")
add("tenant create: name 100k chars", "POST", "/v1/admin/tenants",
    json.dumps({"name": "n" * 100000}), "admin")
add("key create: name NUL", "POST", "/v1/admin/tenants/{tenant}/keys", '{"name":"\\u0000"}', "admin")

# 4. Limits, on tenants and keys.
LIMIT_VALUES = {"negative": -1, "zero": 0, "string": "10", "boolean": True, "fraction": 1.5,
                "huge": 10**12, "array": [], "object": {}}
for field in ["requests_per_minute", "tokens_per_minute", "max_concurrent_jobs", "monthly_budget_usd",
              "share_weight"]:
    for label, value in LIMIT_VALUES.items():
        if field == "monthly_budget_usd" and label in ("zero", "fraction"):
            continue
        if field == "share_weight" and label == "fraction":
            continue
        add(f"tenant create: {field} {label}", "POST", "/v1/admin/tenants",
            json.dumps({"name": "t", "limits": {field: value}}), "admin")
add("tenant patch: unknown limit", "PATCH", "/v1/admin/tenants/{tenant}",
    json.dumps({"limits": {"requests_per_hour": 5}}), "admin")
add("tenant patch: budget 7 decimals", "PATCH", "/v1/admin/tenants/{tenant}",
    json.dumps({"limits": {"monthly_budget_usd": 0.0000001}}), "admin")
add("tenant patch: budget 1e400", "PATCH", "/v1/admin/tenants/{tenant}",
    '{"limits":{"monthly_budget_usd":1e400}}', "admin")
add("tenant patch: share_weight below 0.01", "PATCH", "/v1/admin/tenants/{tenant}",
    json.dumps({"limits": {"share_weight": 0.001}}), "admin")
add("tenant patch: share_weight above 1000", "PATCH", "/v1/admin/tenants/{tenant}",
    json.dumps({"limits": {"share_weight": 1000.5}}), "admin")
add("tenant patch: share_weight 1e400", "PATCH", "/v1/admin/tenants/{tenant}",
    '{"limits":{"share_weight":1e400}}', "admin")
add("tenant patch: share_weight 1e-400", "PATCH", "/v1/admin/tenants/{tenant}",
    '{"limits":{"share_weight":1e-400}}', "admin")
add("tenant patch: share_weight NaN", "PATCH", "/v1/admin/tenants/{tenant}",
    '{"limits":{"share_weight":NaN}}', "admin")
add("key create: share_weight", "POST", "/v1/admin/tenants/{tenant}/keys",
    json.dumps({"name": "k", "limits": {"share_weight": 2}}), "admin")
add("key create: tokens_per_minute", "POST", "/v1/admin/tenants/{tenant}/keys",
    json.dumps({"name": "k", "limits": {"tokens_per_minute": 5}}), "admin")
add("key create: bad scope", "POST", "/v1/admin/tenants/{tenant}/keys",
    json.dumps({"name": "k", "scopes": ["root"]}), "admin")
add("key create: empty scopes", "POST", "/v1/admin/tenants/{tenant}/keys",
    json.dumps({"name": "k", "scopes": []}), "admin")
add("key patch: negative rpm", "PATCH", "/v1/admin/keys/{key_id}",
    json.dumps({"limits": {"requests_per_minute": -5}}), "admin")

# 5. SSRF targets, for job webhooks and alert webhooks.
SSRF = ["http://example.com/hook", "https://localhost/hook", "https://127.0.0.1/hook",
        "https://[::1]/hook", "https://10.0.0.1/hook", "https://192.168.1.1/hook",
        "https://172.16.0.1/hook", "https://169.254.169.254/latest/meta-data",
        "https://metadata.google.internal/computeMetadata", "https://0x7f000001/hook",
        "https://2130706433/hook", "https://010.0.0.1/hook", "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook", "https://0.0.0.0/hook", "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL", "https://[fe80::1]/hook"]
for url in SSRF:
    add(f"submit: webhook {url}", "POST", "/v1/jobs", job(webhook_url=url))
    add(f"tenant patch: alert webhook {url}", "PATCH", "/v1/admin/tenants/{tenant}",
        json.dumps({"alert_webhook_url": url}), "admin")

# 6. Bad ids and paths.
BAD_IDS = ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "00000000-0000-0000-0000-000000000000",
           "{other_job}", "1", "%00", "'%20OR%201=1--", "x" * 2000,
           "{00000000-0000-0000-0000-000000000000}"]
for bad in BAD_IDS:
    # Braces are not allowed in a URI path: a 400 before any resource is reached is right too.
    braces = bad.startswith("{0")
    status = "4xx" if braces else 404
    add(f"job get: id {bad[:40]}", "GET", f"/v1/jobs/{bad}", expect=status, plain=braces)
    add(f"job cancel: id {bad[:40]}", "POST", f"/v1/jobs/{bad}/cancel", expect=status, plain=braces)
    add(f"events: id {bad[:40]}", "GET", f"/v1/jobs/{bad}/events",
        headers={"Accept": "text/event-stream"}, expect=status, plain=braces)
    add(f"deliveries: id {bad[:40]}", "GET", f"/v1/jobs/{bad}/webhook-deliveries", expect=status,
        plain=braces)
for bad in BAD_IDS[:6]:
    add(f"admin tenant get: id {bad}", "GET", f"/v1/admin/tenants/{bad}", auth="admin", expect=404)
    add(f"admin key patch: id {bad}", "PATCH", f"/v1/admin/keys/{bad}",
        json.dumps({"name": "x"}), "admin", expect=404)
    add(f"admin usage: id {bad}", "GET", f"/v1/admin/tenants/{bad}/usage", auth="admin", expect=404)
add("path traversal", "GET", "/v1/../../etc/passwd", expect="4xx")
add("unknown path", "GET", "/v1/jobz", expect=404)
add("double slash", "GET", "//v1//jobs", expect="any")

# 7. Headers.
add("no authorization", "GET", "/v1/jobs", auth="none", expect=401)
for label, value in {"bare bearer": "Bearer", "empty token": "Bearer ", "basic": "Basic dXNlcjpwdw==",
                     "wrong key": "Bearer llmq_wrong", "not llmq key": "Bearer sk-abc",
                     "long token": "Bearer llmq_" + "a" * 8000, "lowercase scheme wrong key": "bearer llmq_x",
                     "two tokens": "Bearer a b", "admin token guess": "Bearer admin"}.items():
    add(f"auth: {label}", "GET", "/v1/jobs", auth="raw", headers={"Authorization": value}, expect=401)
add("auth: tenant key on admin", "GET", "/v1/admin/tenants", auth="key", expect=401)
add("auth: admin on tenant endpoint", "GET", "/v1/jobs", auth="admin", expect=401)
add("idempotency key 256 chars", "POST", "/v1/jobs", job(), headers={"Idempotency-Key": "k" * 256})
add("idempotency key 100k chars", "POST", "/v1/jobs", job(), headers={"Idempotency-Key": "k" * 20000})
add("idempotency key empty", "POST", "/v1/jobs", job(), headers={"Idempotency-Key": ""}, expect="any")
# (a valid wait, even one cut to 60 s, would hold the answer while no worker runs the job)
for value in ["wait=abc", "wait=-1", "wait", "wait=", "respond-async"]:
    add(f"prefer: {value}", "POST", "/v1/jobs", job(), headers={"Prefer": value}, expect="any")
for value in ["abc", "-1", "1e10", "99999999999999999999", "", "1 2", "0x10"]:
    add(f"last-event-id: {value or 'empty'}", "GET", "/v1/jobs/{job}/events",
        headers={"Accept": "text/event-stream", "Last-Event-ID": value},
        expect="any" if value == "" else 400)
add("accept html on json endpoint", "GET", "/v1/jobs", headers={"Accept": "text/html"}, expect=406)
add("accept xml on submit", "POST", "/v1/jobs", job(), headers={"Accept": "application/xml"}, expect=406)
add("oversized header", "GET", "/v1/jobs", headers={"X-Big": "b" * 40000}, expect="4xx", plain=True)
# 8. Query parameters on every list and usage endpoint.
for value in ["0", "101", "-1", "abc", "1e3", "1.5", "99999999999999999999", ""]:
    add(f"jobs list: limit {value or 'empty'}", "GET", f"/v1/jobs?limit={value}",
        expect="any" if value == "" else 400)
    add(f"tenants list: limit {value or 'empty'}", "GET", f"/v1/admin/tenants?limit={value}",
        auth="admin", expect="any" if value == "" else 400)
    add(f"keys list: limit {value or 'empty'}", "GET", f"/v1/admin/tenants/{{tenant}}/keys?limit={value}",
        auth="admin", expect="any" if value == "" else 400)
for value in ["garbage", "%00", "AAAA", "eyJ0IjoxfQ", "x" * 3000]:
    add(f"jobs list: after {value[:20]}", "GET", f"/v1/jobs?after={value}", expect=400)
    add(f"tenants list: after {value[:20]}", "GET", f"/v1/admin/tenants?after={value}",
        auth="admin", expect=400)
for value in ["bogus", "QUEUED", "1", "%00"]:
    add(f"jobs list: status {value}", "GET", f"/v1/jobs?status={value}", expect=400)
for value in ["61", "-1", "x", "1.5", "99999999999999999999"]:
    add(f"job get: wait_seconds {value}", "GET", f"/v1/jobs/{{job}}?wait_seconds={value}", expect=400)
add("usage: empty group_by is the default", "GET", "/v1/usage?group_by=", expect="any")
USAGE_BAD = ["from=notadate", "to=2026-13-01", "group_by=hour", "from=2026-12-02&to=2026-12-01",
             "from=2020-01-01&to=2026-01-01", "from=2026-12-01T00:00:00", "from=%00", "bogus=1",
             "from=2026-12-01&from=2026-11-01", "to=99999-01-01", "from=2026-02-30"]
for query in USAGE_BAD:
    add(f"usage: {query}", "GET", f"/v1/usage?{query}", expect=400)
    add(f"admin usage: {query}", "GET", f"/v1/admin/tenants/{{tenant}}/usage?{query}",
        auth="admin", expect=400)

# 9. Methods.
for method, path in [("DELETE", "/v1/jobs"), ("PUT", "/v1/jobs/{job}"), ("PATCH", "/v1/usage"),
                     ("DELETE", "/v1/tenant"), ("PUT", "/v1/admin/tenants"), ("GET", "/v1/jobs/{job}/cancel")]:
    add(f"method {method} {path}", method, path, expect=405)

out = os.path.join(os.path.dirname(__file__), "..", "resources", "corpus", "hostile.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for case in cases:
        f.write(json.dumps(case, ensure_ascii=True) + "\n")
print(f"{len(cases)} cases written to {os.path.normpath(out)}")
