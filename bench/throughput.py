#!/usr/bin/env python3
"""Worker throughput: how fast one worker drains a backlog of zero-latency jobs, and what each job
costs in CPU in every process it passes through.

Starts the api and one worker (packaged jars, prod profile, a database and queue of their own),
stops the worker, submits `jobs` jobs to the built-in simulated provider with no delay
(`[[sim delay_ms=0]]`, 16 tokens) so they wait queued, their messages in RabbitMQ, then starts one
worker again and lets it drain them. Measured over the middle of the drain (from the `skip`-th to
the `jobs - skip`-th completion, so start-up and the tail stay out): succeeded per second from
PostgreSQL's `completed_at`, and CPU ms per job (utime + stime from /proc/<pid>/stat) of the
worker, the api (it reads every event on the events channel), the PostgreSQL backends of the
bench's database, RabbitMQ (beam.smp) and Redis. RabbitMQ and Redis are shared with whatever else
runs on the machine: their figures are upper bounds.

Run: bench/throughput.sh [jobs] [submit rate] [worker flags...]. Only loopback is used; every loop
is bounded in count and time.
"""
import json
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    drive, free_port, isolated_env, launch, machine, psql, stop, tenant_key, wait_ready)

DB = "llmq_bench_throughput"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid):
    """utime + stime of a process, in ms; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def pids_named(name):
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def backends():
    out = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB}'", DB)
    return [int(p) for p in out.split()]


def snapshot(groups):
    return {name: sum(cpu_ms(p) for p in pids) for name, pids in groups.items()}


def transactions():
    return int(psql(f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DB}'",
                    DB))


def succeeded():
    return int(psql("SELECT count(*) FROM jobs WHERE status = 'succeeded'", DB))


def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 400
    flags = sys.argv[3:]
    skip = max(1, jobs // 10)
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    env = isolated_env(DB)
    api_port = free_port()
    worker_env = {**env, "LLMQ_WORKER_PORT": str(free_port())}
    processes = []
    try:
        api = launch(processes, java, "api", "throughput-api",
                     {**env, "LLMQ_API_PORT": str(api_port)})
        worker = launch(processes, java, "worker", "throughput-worker-0", worker_env)
        wait_ready(f"http://127.0.0.1:{worker_env['LLMQ_WORKER_PORT']}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        worker.terminate()
        worker.wait(timeout=60)
        processes.remove(worker)
        auth = {"Authorization": "Bearer " + tenant_key(f"http://127.0.0.1:{api_port}", "bench-admin")}

        def body(slot):
            return {"request": {"model": "llmq-sim", "max_tokens": 16, "messages": [
                {"role": "user", "content": f"throughput {slot} {uuid.uuid4()} [[sim delay_ms=0]]"}]}}

        ids, _, _, errors, _ = drive(api_port, auth, rate, jobs / rate, body)
        deadline = time.time() + 120
        while time.time() < deadline and psql("SELECT count(*) FROM job_outbox", DB) != "0":
            time.sleep(1)
        time.sleep(2)
        worker = launch(processes, java, "worker", "throughput-worker-1", worker_env, flags)
        total = len(ids)
        low, high = skip, total - skip
        first = None
        deadline = time.time() + 600
        while time.time() < deadline:
            done = succeeded()
            if first is None and done >= low:
                groups = {"worker": [worker.pid], "api": [api.pid], "postgres": backends(),
                          "rabbitmq": pids_named("beam.smp"), "redis": pids_named("redis-server")}
                first = (done, snapshot(groups), time.time(), transactions())
            if first is not None and done >= high:
                last = (done, snapshot(groups), time.time(), transactions())
                break
            time.sleep(0.2)
        else:
            raise SystemExit("the worker did not drain the backlog in time")
        load = os.getloadavg()
        deadline = time.time() + 300
        while time.time() < deadline and succeeded() < total and worker.poll() is None:
            time.sleep(1)
        n = last[0] - first[0]
        per_job = {k: round((last[1][k] - first[1][k]) / n, 3) for k in first[1]}
        rate_db = float(psql(
            "SELECT round(count(*) / extract(epoch FROM max(completed_at) - min(completed_at)))"
            f" FROM (SELECT completed_at FROM jobs WHERE status = 'succeeded' ORDER BY completed_at"
            f" OFFSET {low} LIMIT {high - low}) s", DB))
        outcome = psql("SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n"
                       " FROM jobs GROUP BY 1 ORDER BY 1) s", DB)
        result = {"jobs": total, "submit_errors": errors, "measured_jobs": n,
                  "jobs_per_s_db": rate_db,
                  "jobs_per_s_wall": round(n / (last[2] - first[2]), 1),
                  "cpu_ms_per_job": per_job,
                  "cpu_ms_per_job_total": round(sum(per_job.values()), 3),
                  "pg_transactions_per_job": round((last[3] - first[3]) / n, 2),
                  "load_during": [round(x, 2) for x in load], "outcome": outcome,
                  "machine": machine()}
        print(json.dumps(result), flush=True)
    finally:
        stop(processes)


if __name__ == "__main__":
    main()
