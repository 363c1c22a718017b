#!/usr/bin/env python3
"""Start-up benchmark (SPEC §6: each app ready <= 3 s after its process starts).

Starts the built api and/or worker (packaged jars, prod profile) on a database and queue of its
own, `runs` times, and measures each process's time from its spawn to the first 200 of
`GET /q/health/ready` (polled every 20 ms), its CPU time (utime + stime) at that moment, and its
RSS. Then stops them (SIGTERM) and starts the next run on a fresh database, so Flyway migrates
the whole schema every time, as on a first start; with LLMQ_STARTUP_SCHEMA=existing every
measured run starts on a database an unmeasured first run migrated, as a restart does.

    bench/startup.py [runs] [api|worker|both] [jvm options...]

LLMQ_STARTUP_ROOT=<dir> starts <dir>/<module>/target/quarkus-app instead of this tree's
(to compare a copy of another build). The JVM options are added to every process; each starts from its AOT cache
(bench/jvm-opts.sh: when one was trained for exactly these jars) unless LLMQ_BENCH_AOT=0. Only loopback
addresses are used; every wait is bounded in time.
"""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import (  # noqa: E402
    free_port, isolated_env, launch, machine, percentile, rss_mib, stop)

if os.environ.get("LLMQ_STARTUP_ROOT"):
    # Another build's <module>/target/quarkus-app trees (a copy kept for an A/B comparison).
    benchlib.ROOT = os.environ["LLMQ_STARTUP_ROOT"]

DB = "llmq_bench_startup"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def one_run(java, modules, extra, env=None):
    env = env or isolated_env(DB)
    processes, pending = [], {}
    try:
        for module in modules:
            port = free_port()
            variable = "LLMQ_API_PORT" if module == "api" else "LLMQ_WORKER_PORT"
            spawned = time.perf_counter()
            process = launch(processes, java, module, f"startup-{module}", {**env, variable: str(port)},
                             extra)
            pending[module] = (process, port, spawned)
        results = {}
        deadline = time.time() + 120
        while pending and time.time() < deadline:
            for module, (process, port, spawned) in list(pending.items()):
                if process.poll() is not None:
                    raise SystemExit(f"{module} exited at start-up; see bench/out/startup-{module}.log")
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/q/health/ready", timeout=1)
                except Exception:
                    continue
                results[module] = {"ready_s": round(time.perf_counter() - spawned, 3),
                                   "cpu_s": round(cpu_seconds(process.pid), 2),
                                   "rss_mib": round(rss_mib(process.pid))}
                del pending[module]
            time.sleep(0.02)
        if pending:
            raise SystemExit(f"not ready in 120 s: {sorted(pending)}")
        return results
    finally:
        stop(processes)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    which = sys.argv[2] if len(sys.argv) > 2 else "both"
    extra = sys.argv[3:]
    modules = ["api", "worker"] if which == "both" else [which]
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    print(json.dumps({"machine": machine(), "modules": modules, "extra": extra,
                      "aot_opts": {m: benchlib.jvm_opts(m) for m in modules}}), flush=True)
    all_results = {m: [] for m in modules}
    env = None
    if os.environ.get("LLMQ_STARTUP_SCHEMA") == "existing":
        # A restart: one unmeasured start migrates the fresh database, the measured ones find
        # the schema in place (Flyway only validates it).
        env = isolated_env(DB)
        one_run(java, modules, extra, env)
    for _ in range(runs):
        result = one_run(java, modules, extra, env)
        print(json.dumps(result), flush=True)
        for module, figures in result.items():
            all_results[module].append(figures)
    for module, figures in all_results.items():
        ready = [f["ready_s"] for f in figures]
        print(json.dumps({"module": module, "together": len(modules) > 1,
                          "ready_s": ready, "ready_p50_s": percentile(ready, 50),
                          "cpu_s": [f["cpu_s"] for f in figures],
                          "rss_mib": [f["rss_mib"] for f in figures],
                          "load": machine()["load"]}), flush=True)


if __name__ == "__main__":
    main()
