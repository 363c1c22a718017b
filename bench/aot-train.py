#!/usr/bin/env python3
"""AOT cache training run (JDK 25, JEP 483/514/515) for the api and the worker.

Starts both built apps (prod profile, a database and queue of their own) with
`-XX:AOTCacheOutput=<module>/target/quarkus-app/app.aot`, drives the paths a serving api and
worker take — admin calls, submits that run on the built-in simulated provider, polls with
`wait_seconds`, cache hits with `Prefer: wait`, an SSE stream, bad input answered 4xx, a cancel,
usage — then stops them with SIGTERM. On exit each JVM writes its cache: the classes it loaded
and linked, and the method profiles (JEP 515) of what ran, so that the next start loads them
from the cache instead of parsing and verifying jars, and compiles hot methods sooner.

    bench/aot-train.py [rounds]       (default 300: 300 hits, 300 uncached jobs and polls)

Needs the jars packaged as `aot-jar` (`quarkus.package.jar.type`, the default in this
project): classes of the fast-jar's own class loader are not archived by the JDK. The caller
(bench/aot-train.sh) writes the stamp that ties each cache to its jars. Only loopback addresses
are used; every wait is bounded in time.
"""
import http.client as httpclient
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    ROOT, free_port, http, isolated_env, launch, psql, tenant, wait_ready)

DB = "llmq_aot_train"
# LLMQ_AOT_TRAIN_APPCDS=1: a dynamic AppCDS archive (app.jsa, -XX:ArchiveClassesAtExit; JDK 19+,
# used with -XX:SharedArchiveFile=app.jsa) instead, the fallback for a JDK older than 25: classes
# only, no method profiles. Measured for comparison; nothing starts from it by default.
APPCDS = os.environ.get("LLMQ_AOT_TRAIN_APPCDS") == "1"
CACHE = "app.jsa" if APPCDS else "app.aot"


def request(connection, method, path, headers, body=None):
    connection.request(method, path, None if body is None else json.dumps(body), headers)
    response = connection.getresponse()
    text = response.read()
    if "json" not in (response.getheader("Content-Type") or ""):
        return response.status, text
    return response.status, json.loads(text)


def exercise(api_port, admin_token, rounds):
    base = f"http://127.0.0.1:{api_port}"
    admin = {"Authorization": "Bearer " + admin_token}
    tenant_id, key = tenant(base, admin_token, "aot-training")
    http("GET", base + "/v1/admin/tenants", None, admin)
    http("GET", f"{base}/v1/admin/tenants/{tenant_id}", None, admin)
    http("GET", f"{base}/v1/admin/tenants/{tenant_id}/keys", None, admin)
    auth = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    waiting = {**auth, "Prefer": "wait=10"}
    connection = httpclient.HTTPConnection("127.0.0.1", api_port, timeout=30)
    hit = {"request": {"model": "llmq-sim", "max_tokens": 40, "messages": [
        {"role": "user", "content": f"aot training hit {uuid.uuid4()} [[sim delay_ms=0]]"}]}}
    try:
        for i in range(rounds):
            # A cache hit (the first is the miss that stores the answer).
            request(connection, "POST", "/v1/jobs", waiting, hit)
            # An uncached job, then its poll and, every tenth round, its SSE stream.
            fresh = {"cache": "bypass", "priority": "normal" if i % 2 else "high",
                     "request": {"model": "llmq-sim", "max_tokens": 40, "messages": [
                         {"role": "system", "content": "Be brief."},
                         {"role": "user", "content": f"aot training {i} [[sim delay_ms=0]]"}]}}
            status, job = request(connection, "POST", "/v1/jobs", auth, fresh)
            if status != 202:
                raise SystemExit(f"submit answered {status}: {job}")
            request(connection, "GET", f"/v1/jobs/{job['id']}?wait_seconds=5", auth)
            if i % 10 == 0:
                stream = httpclient.HTTPConnection("127.0.0.1", api_port, timeout=30)
                stream.request("GET", f"/v1/jobs/{job['id']}/events",
                               headers={**auth, "Accept": "text/event-stream"})
                response = stream.getresponse()
                deadline = time.time() + 10
                while time.time() < deadline:
                    line = response.readline()
                    if not line or b"done" in line:
                        break
                stream.close()
                request(connection, "GET", "/v1/jobs?limit=10", auth)
                request(connection, "GET", "/v1/usage", auth)
                request(connection, "GET", "/v1/tenant", auth)
            if i % 25 == 0:
                # Bad input: a problem+json 4xx each.
                request(connection, "POST", "/v1/jobs", auth, {"request": {"model": "llmq-sim"}})
                request(connection, "POST", "/v1/jobs", auth, {"request": {"model": "nope",
                        "messages": [{"role": "user", "content": "x"}]}})
                request(connection, "GET", f"/v1/jobs/{uuid.uuid4()}", auth)
                slow = {"cache": "bypass", "request": {"model": "llmq-sim", "messages": [
                    {"role": "user", "content": f"aot cancel {i} [[sim delay_ms=5000]]"}]}}
                _, job = request(connection, "POST", "/v1/jobs", auth, slow)
                request(connection, "POST", f"/v1/jobs/{job['id']}/cancel", auth, {})
            if i % 50 == 0:
                for path in ("/q/health/ready", "/q/health/live", "/q/metrics"):
                    request(connection, "GET", path, {})
    finally:
        connection.close()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    api_port, worker_port = free_port(), free_port()
    env = isolated_env(DB, "aot-training-admin")
    processes = []
    try:
        for module, variable, port in (("worker", "LLMQ_WORKER_PORT", worker_port),
                                       ("api", "LLMQ_API_PORT", api_port)):
            cache = os.path.join(ROOT, module, "target", "quarkus-app", CACHE)
            if os.path.exists(cache):
                os.remove(cache)
            flag = "-XX:ArchiveClassesAtExit=" if APPCDS else "-XX:AOTCacheOutput="
            launch(processes, java, module, f"aot-train-{module}", {**env, variable: str(port)},
                   [flag + cache])
        wait_ready(f"http://127.0.0.1:{worker_port}/q/health/ready", processes[0])
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", processes[1])
        started = time.time()
        exercise(api_port, "aot-training-admin", rounds)
        print(f"trained: {rounds} rounds in {time.time() - started:.1f} s", flush=True)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            # The JVM writes the cache as it exits (JDK 25 forks a second JVM to assemble it).
            process.wait(timeout=300)
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")
    for module in ("api", "worker"):
        cache = os.path.join(ROOT, module, "target", "quarkus-app", CACHE)
        if not os.path.exists(cache):
            raise SystemExit(f"no cache written for {module}; see bench/out/aot-train-{module}.log")
        print(f"{module}: {cache} ({os.path.getsize(cache) / 1e6:.0f} MB)", flush=True)


if __name__ == "__main__":
    main()
