#!/usr/bin/env python3
"""Cache hits on a young api, by CPU: starts the api and one worker (built-in simulated provider),
makes one job's answer cached, then submits the identical request `hits` times with
`Prefer: wait=10` on one kept-alive connection, and reports the hits' client p50 and the api
process's CPU time (utime + stime, JIT compiler threads included) per hit over those requests —
on a shared machine the CPU figure compares builds where wall-clock latency cannot.

    bench/young-hits.py [hits]                    (default 450: SPEC's young api, <= 500)
"""
import http.client as httpclient
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import startup  # noqa: E402
from benchlib import free_port, isolated_env, launch, percentile, psql, stop, tenant_key, wait_ready  # noqa: E402

DB = "llmq_bench_young_hits"


def main():
    hits = int(sys.argv[1]) if len(sys.argv) > 1 else 450
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    api_port, worker_port = free_port(), free_port()
    env = isolated_env(DB)
    processes = []
    try:
        worker = launch(processes, java, "worker", "young-worker", {**env, "LLMQ_WORKER_PORT": str(worker_port)})
        api = launch(processes, java, "api", "young-api", {**env, "LLMQ_API_PORT": str(api_port)})
        wait_ready(f"http://127.0.0.1:{worker_port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        key = tenant_key(f"http://127.0.0.1:{api_port}", "bench-admin")
        headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json", "Prefer": "wait=10"}
        body = json.dumps({"request": {"model": "llmq-sim", "max_tokens": 20, "messages": [
            {"role": "user", "content": f"young hit {uuid.uuid4()} [[sim delay_ms=0]]"}]}})
        connection = httpclient.HTTPConnection("127.0.0.1", api_port, timeout=30)
        connection.request("POST", "/v1/jobs", body, headers)
        first = json.loads(connection.getresponse().read())
        if first.get("status") != "succeeded":
            raise SystemExit(f"the first job did not succeed: {first}")
        import time
        before = startup.cpu_seconds(api.pid)
        times, cached = [], 0
        for _ in range(hits):
            sent = time.perf_counter()
            connection.request("POST", "/v1/jobs", body, headers)
            job = json.loads(connection.getresponse().read())
            times.append((time.perf_counter() - sent) * 1000)
            cached += bool(job.get("cached"))
        cpu = startup.cpu_seconds(api.pid) - before
        connection.close()
        print(json.dumps({"hits": hits, "cached": cached, "p50_ms": round(percentile(times, 50), 2),
                          "p90_ms": round(percentile(times, 90), 2),
                          "last_100_p50_ms": round(percentile(times[-100:], 50), 2),
                          "api_cpu_ms_per_hit": round(cpu * 1000 / hits, 2),
                          "load": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    finally:
        stop(processes)
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")


if __name__ == "__main__":
    main()
