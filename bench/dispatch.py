#!/usr/bin/env python3
"""Dispatch overhead: queued -> succeeded against a zero-latency provider, at a steady rate.

Starts the api and `workers` worker processes (packaged jars, prod profile, a database and queue
of their own), then submits jobs to the built-in simulated provider with no delay
(`[[sim delay_ms=0]]`, 16 tokens) at `rate` jobs a second, open loop: each submit has its slot
on a fixed schedule, sent by whichever of the sender threads is free, so a slow answer does not
slow the arrivals. First `warmup` seconds unmeasured (the JVMs compile their hot paths), then
`seconds` measured. For the measured jobs, once every one has ended: PostgreSQL's `created_at` ->
`completed_at` (the job is queued at its insert and succeeded at the worker's terminal UPDATE; one
clock; the warm-up's jobs are deleted before the measured ones are submitted), its part up to `started_at` (the claim), the client's submit latency, and how far the
senders fell behind their schedule.

Run: bench/dispatch.sh [rate] [seconds] [workers] [warm-up seconds]. Only loopback is used; every
loop is bounded in count and time.
"""
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    delete_queues, drive, drop_database, free_port, isolated_env, launch, percentile, psql, stop,
    tenant_key, wait_ready)

DB = "llmq_bench_dispatch"


def zero_latency_job(label):
    """The body of the job in a slot: the simulated provider with no delay, 16 tokens."""
    return lambda slot: {"request": {"model": "llmq-sim", "max_tokens": 16, "messages": [
        {"role": "user", "content": f"{label} {slot} {uuid.uuid4()} [[sim delay_ms=0]]"}]}}



def await_ended(seconds=120):
    """Waits until no job in the database is queued or running."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if psql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')", DB) == "0":
            return
        time.sleep(1)


def database_figures():
    """Figures over every job in the database: the warm-up's were deleted."""

    def quantile(q, start, end):
        return float(psql(
            f"SELECT round(percentile_cont({q}) WITHIN GROUP (ORDER BY extract(epoch FROM"
            f" {end} - {start}) * 1000)::numeric, 2) FROM jobs WHERE status = 'succeeded'", DB))

    outcome = psql("SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n"
                   " FROM jobs GROUP BY 1 ORDER BY 1) s", DB)
    return {
        "outcome": outcome,
        "p50_ms": quantile(0.5, "created_at", "completed_at"),
        "p99_ms": quantile(0.99, "created_at", "completed_at"),
        "max_ms": quantile(1, "created_at", "completed_at"),
        "to_started_p50_ms": quantile(0.5, "created_at", "started_at"),
        "to_started_p99_ms": quantile(0.99, "created_at", "started_at"),
    }


def run(rate=200, seconds=30, workers=1, warmup=20):
    """One run; answers its figures, with every measured job's queued -> succeeded time (ms,
    `raw_ms`). Drops its database and deletes its queues at the end."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    env = isolated_env(DB)
    api_port = free_port()
    worker_ports = [free_port() for _ in range(workers)]
    processes = []
    try:
        api = launch(processes, java, "api", "dispatch-api", {**env, "LLMQ_API_PORT": str(api_port)})
        for i, port in enumerate(worker_ports):
            worker = launch(processes, java, "worker", f"dispatch-worker-{i + 1}",
                            {**env, "LLMQ_WORKER_PORT": str(port)})
            wait_ready(f"http://127.0.0.1:{port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        auth = {"Authorization": "Bearer " + tenant_key(f"http://127.0.0.1:{api_port}", "bench-admin")}

        drive(api_port, auth, rate, warmup, zero_latency_job("warm-up"))
        await_ended()
        psql("DELETE FROM job_outbox; DELETE FROM jobs", DB)
        ids, latencies, lags, errors, elapsed = drive(
            api_port, auth, rate, seconds, zero_latency_job("measured"))
        await_ended()
        figures = database_figures()
        raw = psql("SELECT round((extract(epoch FROM completed_at - created_at) * 1000)::numeric, 3)"
                   " FROM jobs WHERE status = 'succeeded'", DB)
        return {
            "rate": rate, "seconds": seconds, "workers": workers, "submitted": len(ids),
            "submit_errors": errors, "achieved_rate": round(len(ids) / elapsed, 1),
            "submit_p50_ms": round(percentile(latencies, 50), 2),
            "submit_p99_ms": round(percentile(latencies, 99), 2),
            "sender_lag_p99_ms": round(percentile(lags, 99), 2), **figures,
            "raw_ms": [float(x) for x in raw.split()]}
    finally:
        stop(processes)
        drop_database(DB)
        delete_queues(env)


def main():
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 200
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    warmup = float(sys.argv[4]) if len(sys.argv) > 4 else 20
    result = run(rate, seconds, workers, warmup)
    result.pop("raw_ms")
    figures, ids, errors = result, result["submitted"], result["submit_errors"]
    print(json.dumps(result), flush=True)
    print()
    print("| measure | p50 | p99 | max |")
    print("| --- | --- | --- | --- |")
    print(f"| queued → succeeded (`created_at` → `completed_at`) | {figures['p50_ms']} ms |"
          f" {figures['p99_ms']} ms | {figures['max_ms']} ms |")
    print(f"| queued → claimed (`created_at` → `started_at`) | {figures['to_started_p50_ms']} ms |"
          f" {figures['to_started_p99_ms']} ms | |")
    print(f"| submit, client | {result['submit_p50_ms']} ms | {result['submit_p99_ms']} ms | |")
    print()
    print(f"{ids} jobs at {result['achieved_rate']}/s ({rate}/s asked, {workers} worker(s),"
          f" {errors} submit errors, sender lag p99 {result['sender_lag_p99_ms']} ms):"
          f" {figures['outcome']}")


if __name__ == "__main__":
    main()
