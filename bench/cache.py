#!/usr/bin/env python3
"""Cache benchmark: cache-hit latency and single flight, against the simulator.

Starts the simulator (2 s to the first token, then 100 tokens/s), the api and two worker
processes whose provider for `gpt-4o-mini` points at it, then:

1. Cache hit, submit -> succeeded: submits one request and waits for its answer (a miss), so
   that the answer is stored; then submits the identical request, one at a time, each with
   `Prefer: wait=10` on a kept-alive connection. The figure is the client's time from sending the
   submit to reading its 200 answer with status `succeeded` and `cached: true`: the api's auth,
   its lookup in Redis and its insert of the job already succeeded (hits are answered at submit;
   no queue, no worker). First `warmup` unmeasured rounds (a hit and an uncached job each) let
   the JVMs compile their hot paths, as a running service has; then `hits` hits are measured
   alone, and `hits` more taking turns with uncached jobs (`"cache": "bypass"`) calling the
   built-in simulated provider with no delay, which are measured too, for comparison, with the
   database's `completed_at - created_at` and its part up to `started_at` (the claim): the
   dispatch path every uncached job takes.
2. Single flight: `jobs` identical jobs (a fresh prompt, a call of 2-3 s) submitted at once
   from as many threads; the upstream calls they made are the simulator's request count, and
   the workers' `llmq.cache.followers` says how many waited for the leader's call (the others
   arrived after it ended and were plain hits).
3. The same with `"cache": "bypass"`, for comparison: every job calls.

Only loopback addresses are used; every loop is bounded in count and time.
"""
import http.client as httpclient
import json
import os
import sys
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    delete_queues, drop_database, free_port, http, isolated_env, launch, percentile, psql, stop,
    tenant_key, wait_ready)

DB = "llmq_bench_cache"
PROVIDER_NAME = "bench-cache"
PROVIDER = []




def metric(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/q/metrics", timeout=10).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            # OpenMetrics: "name{labels} value # {exemplar labels} value time"
            total += float(line.split(" # ")[0].rsplit(" ", 1)[1])
    return total


class Submitter:
    """Submits one body at a time with `Prefer: wait=10` on one kept-alive connection."""

    def __init__(self, api_port, auth):
        self.headers = {**auth, "Content-Type": "application/json", "Prefer": "wait=10"}
        self.connection = httpclient.HTTPConnection("127.0.0.1", api_port, timeout=30)

    def submit(self, body):
        started = time.perf_counter()
        self.connection.request("POST", "/v1/jobs", json.dumps(body), self.headers)
        response = self.connection.getresponse()
        job = json.loads(response.read())
        return (time.perf_counter() - started) * 1000, response.status, job

    def close(self):
        self.connection.close()


def measure(submitter, kinds, count):
    """Submits each kind's body `count` times, the kinds taking turns; each answer must be
    `succeeded`, `cached` as the kind says. `kinds` maps a label to (body, cached)."""
    times = {label: [] for label in kinds}
    ids = {label: [] for label in kinds}
    unexpected = {label: 0 for label in kinds}
    for _ in range(count):
        for label, (body, cached) in kinds.items():
            ms, status, job = submitter.submit(body)
            if status != 200 or job.get("status") != "succeeded" or job.get("cached") != cached:
                unexpected[label] += 1
            times[label].append(ms)
            ids[label].append(job["id"])
    results = {}
    for label in kinds:
        id_list = ",".join(f"'{i}'" for i in ids[label])

        def db_percentile(p, start, end):
            return float(psql(
                f"SELECT round(percentile_cont({p}) WITHIN GROUP (ORDER BY extract(epoch FROM"
                f" {end} - {start}) * 1000)::numeric, 2) FROM jobs WHERE id IN ({id_list})", DB))

        results[label] = {
            "label": label, "jobs": count, "unexpected": unexpected[label],
            "raw_ms": [round(t, 3) for t in times[label]],
            "p50_ms": round(percentile(times[label], 50), 2),
            "p99_ms": round(percentile(times[label], 99), 2),
            "db_p50_ms": db_percentile(0.5, "created_at", "completed_at"),
            "db_p99_ms": db_percentile(0.99, "created_at", "completed_at"),
            "db_created_to_started_p50_ms": db_percentile(0.5, "created_at", "started_at"),
            "db_started_to_completed_p50_ms": db_percentile(0.5, "started_at", "completed_at")}
    return results


def latencies(api_port, auth, count, warmup, turns=None):
    """Cache hits alone, then `turns` (default `count`) taking turns with uncached jobs calling
    the built-in zero-latency simulator (for comparison), after `warmup` unmeasured rounds of
    both. The api serves 2 + 2 * warmup + count + 2 * turns submits in all."""
    hit = {"request": {"model": "gpt-4o-mini", "max_tokens": 40,
                       "messages": [{"role": "user", "content": f"cache hit {uuid.uuid4()}"}]}}
    uncached = {"cache": "bypass", "request": {"model": "llmq-sim", "max_tokens": 40, "messages": [
        {"role": "user", "content": f"no cache {uuid.uuid4()} [[sim delay_ms=0]]"}]}}
    submitter = Submitter(api_port, auth)
    try:
        for label, body in (("cache hit", hit), ("no cache", uncached)):
            _, status, first = submitter.submit(body)
            if first.get("status") != "succeeded" or first.get("cached"):
                raise SystemExit(f"{label}: the first job did not succeed uncached: {status} {first}")
        for _ in range(warmup):
            submitter.submit(hit)
            submitter.submit(uncached)
        results = measure(submitter, {"cache hit": (hit, True)}, count)
        turns = count if turns is None else turns
        if turns:
            results.update(measure(submitter, {
                "cache hit, taking turns with uncached jobs": (hit, True),
                "no cache, zero-latency simulated call (comparison)": (uncached, False)}, turns))
        return results
    finally:
        submitter.close()


def identical_burst(base, auth, sim_port, worker_ports, count, cache):
    prompt = f"single flight {uuid.uuid4()}"
    body = {"cache": cache, "request": {"model": "gpt-4o-mini", "max_tokens": 100,
                                        "messages": [{"role": "user", "content": prompt}]}}
    before = http("GET", f"http://127.0.0.1:{sim_port}/stats")["requests"]
    followers_before = sum(metric(p, "llmq_cache_followers_total") for p in worker_ports)
    gate = threading.Barrier(count)
    ids, errors = [], [0]

    def submit():
        gate.wait(timeout=30)
        try:
            ids.append(http("POST", base + "/v1/jobs", body, auth)["id"])
        except Exception:
            errors[0] += 1

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    id_list = ",".join(f"'{i}'" for i in ids)
    deadline = time.time() + 120
    while time.time() < deadline:
        open_jobs = int(psql(f"SELECT count(*) FROM jobs WHERE id IN ({id_list})"
                             " AND status IN ('queued', 'running')", DB))
        if open_jobs == 0:
            break
        time.sleep(0.5)
    calls = http("GET", f"http://127.0.0.1:{sim_port}/stats")["requests"] - before
    outcome = psql("SELECT string_agg(k || '=' || n, ' ') FROM (SELECT status || CASE WHEN cached"
                   " THEN '(cached)' ELSE '' END AS k, count(*) n FROM jobs"
                   f" WHERE id IN ({id_list}) GROUP BY 1 ORDER BY 1) s", DB)
    followers = sum(metric(p, "llmq_cache_followers_total") for p in worker_ports) - followers_before
    return {"cache": cache, "jobs": count, "submit_errors": errors[0], "upstream_calls": calls,
            "followers_served": int(followers), "outcome": outcome}


def run(hits=300, count=100, warmup=2000, turns=None):
    """One run: the latency figures (by label, each with its raw client times), then the two
    bursts. Drops its database and deletes its queues at the end."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    sim_port, api_port = free_port(), free_port()
    worker_ports = [free_port(), free_port()]
    env = isolated_env(DB)
    env.update({
        "LLMQ_SIMULATOR_PORT": str(sim_port),
        # PostgreSQL is shared with other runs: three apps of 8 connections leave room for them.
        "LLMQ_DB_POOL_SIZE": "8",
        # Calls of 2-4 s, as LLM calls go, so a burst's jobs arrive while the first call runs.
        "LLMQ_SIMULATOR_TIME_TO_FIRST_TOKEN": "2s",
    })
    # gpt-4o-mini goes to a provider of this benchmark's own, so its governor bucket in Redis
    # (llmq:governor:provider:<name>) is not the one another run on the same Redis uses.
    PROVIDER[:] = [f"-Dllmq.providers.{PROVIDER_NAME}.kind=openai",
                   f"-Dllmq.providers.{PROVIDER_NAME}.base-url=http://127.0.0.1:{sim_port}/v1",
                   f"-Dllmq.providers.{PROVIDER_NAME}.api-key=bench-key",
                   f"-Dllmq.models.gpt-4o-mini.provider={PROVIDER_NAME}"]
    processes = []

    def start(module, label, extra):
        return launch(processes, java, module, f"cache-{label}", {**env, **extra}, PROVIDER)

    try:
        sim = start("simulator", "simulator", {})
        wait_ready(f"http://127.0.0.1:{sim_port}/stats", sim)
        api = start("api", "api", {"LLMQ_API_PORT": str(api_port)})
        for i, port in enumerate(worker_ports):
            worker = start("worker", f"worker-{i + 1}", {"LLMQ_WORKER_PORT": str(port)})
            wait_ready(f"http://127.0.0.1:{port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        base = f"http://127.0.0.1:{api_port}"
        key = tenant_key(base, "bench-admin")
        auth = {"Authorization": "Bearer " + key}

        measured = latencies(api_port, auth, hits, warmup, turns)
        flight = identical_burst(base, auth, sim_port, worker_ports, count, "default")
        bypass = identical_burst(base, auth, sim_port, worker_ports, count, "bypass")
        turns = hits if turns is None else turns
        return {"latency": measured, "single_flight": flight, "bypass": bypass,
                # Readiness probes (at most 240) aside: the tenant, its key, the submits.
                "api_requests_until_measured_end": 2 + 2 + 2 * warmup + hits + 2 * turns}
    finally:
        stop(processes)
        drop_database(DB)
        delete_queues(env)


def main():
    hits = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    result = run(hits, count, warmup)
    measured, flight, bypass = result["latency"], result["single_flight"], result["bypass"]
    for r in measured.values():
        r.pop("raw_ms")
        print(json.dumps(r), flush=True)
    print(json.dumps(flight), flush=True)
    print(json.dumps(bypass), flush=True)
    print()
    print("| measure | figure |")
    print("| --- | --- |")
    for label, r in measured.items():
        print(f"| {label}: submit → succeeded (client, `Prefer: wait`), p50 / p99 |"
              f" {r['p50_ms']} ms / {r['p99_ms']} ms ({r['jobs']} jobs, {r['unexpected']} not"
              " as expected) |")
        print(f"| {label}: `created_at` → `completed_at` (database), p50 / p99 |"
              f" {r['db_p50_ms']} ms / {r['db_p99_ms']} ms (→ `started_at` p50"
              f" {r['db_created_to_started_p50_ms']} ms) |")
    for r in (flight, bypass):
        print(f"| {r['jobs']} identical concurrent jobs, cache `{r['cache']}` → upstream calls | "
              f"{r['upstream_calls']} ({r['outcome']}; {r['followers_served']} followers served) |")


if __name__ == "__main__":
    main()
