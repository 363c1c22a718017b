#!/usr/bin/env python3
"""Notification benchmark: how fast a job's end reaches its SSE subscribers and its webhook, and
how many SSE subscribers one api holds.

Starts the api and one worker (packaged jars, prod profile, a database and queue of their own,
webhooks allowed to plain http on loopback) and a webhook receiver in a process of its own.

1. Latency: after a warm-up round, submits N jobs (20 a second) that take 1 s each in the
   simulated provider, each with a webhook_url pointing at the receiver, and opens an SSE stream on each
   right after its submit. For every job it records when the SSE `done` event arrived and when the
   webhook arrived, and compares both with the job's `completed_at` (the worker's terminal UPDATE,
   PostgreSQL's clock, the same machine's clock as this script's). Reports p50/p90/p99/max.

2. Scale: submits `subscribers / 50` jobs that take long enough for every subscriber to connect,
   opens 50 SSE streams on each (ramped up), samples the api's RSS each second, and counts the
   streams that received `done` before the server closed them.

Run: bench/notify.sh [jobs] [subscribers]. Only loopback is used; every loop is bounded.
"""
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    delete_queues, drop_database, free_port, http, isolated_env, launch, psql, rss_mib, stop,
    tenant_key, wait_ready)
PER_JOB = 50
PRINT_LOCK = threading.Lock()










def percentiles(values):
    values = sorted(values)
    if not values:
        return {}
    pick = lambda q: values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
    return {"n": len(values), "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": values[-1]}


class Receiver(BaseHTTPRequestHandler):
    """Prints when each webhook arrived: `<webhook-id> <epoch seconds>` (run in its own process, so
    this script's event loop never delays the timestamp)."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        at = time.time()
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        # One write per line under a lock: the server's threads must not interleave lines.
        with PRINT_LOCK:
            sys.stdout.write(f"{self.headers.get('webhook-id')} {at}\n")
            sys.stdout.flush()
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def receive(port):
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()


def arrivals(receiver):
    """webhook-id -> first arrival, from the receiver's output so far."""
    seen = {}
    for line in list(receiver.stdout_lines):
        fields = line.split()
        if len(fields) == 2:  # anything else is not a receipt
            seen.setdefault(fields[0], float(fields[1]))
    return seen


async def sse(port, job, key, done_at, opened, limit_seconds):
    """Opens one stream and records when its `done` event arrives (the bytes are scanned raw)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        writer.write((f"GET /v1/jobs/{job}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        opened.append(job)
        tail = b""
        deadline = time.time() + limit_seconds
        while time.time() < deadline:
            chunk = await asyncio.wait_for(reader.read(65536), timeout=max(1, deadline - time.time()))
            if not chunk:
                return
            if b"event:done" in (tail + chunk).replace(b" ", b""):
                done_at.append((job, time.time()))
                return
            tail = chunk[-64:]
    except (asyncio.TimeoutError, OSError):
        return
    finally:
        writer.close()




def latency(base, port, key, hook, jobs, rate, db, receiver):
    loop = asyncio.new_event_loop()
    done_at, opened, ids = [], [], []

    async def drive():
        tasks = []
        for i in range(jobs):
            body = {"request": {"model": "llmq-sim", "messages": [
                {"role": "user", "content": f"notify {i} [[sim delay_ms=1000]] [[sim tokens=20]]"}]},
                "webhook_url": hook}
            job = await loop.run_in_executor(
                None, lambda: http("POST", base + "/v1/jobs", body, {"Authorization": "Bearer " + key})["id"])
            ids.append(job)
            tasks.append(asyncio.ensure_future(sse(port, job, key, done_at, opened, 60)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)

    loop.run_until_complete(drive())
    time.sleep(3)  # late webhooks
    completed = {}
    rows = psql("SELECT id, extract(epoch FROM completed_at), terminal_event_id FROM jobs"
                " WHERE completed_at IS NOT NULL", db)
    for line in rows.splitlines():
        job, at, terminal = line.split("|")
        completed[job] = (float(at), terminal)
    sse_ms = [(at - completed[job][0]) * 1000 for job, at in done_at if job in completed]
    hook_ms = []
    seen = arrivals(receiver)
    for job in ids:
        if job in completed:
            arrived = seen.get(f"{job}.{completed[job][1]}")
            if arrived is not None:
                hook_ms.append((arrived - completed[job][0]) * 1000)
    return {"jobs": jobs, "sse_done": len(sse_ms), "webhooks": len(hook_ms),
            "sse_ms": percentiles(sse_ms), "webhook_ms": percentiles(hook_ms),
            "sse_raw_ms": [round(x, 3) for x in sse_ms], "webhook_raw_ms": [round(x, 3) for x in hook_ms]}


def scale(base, port, key, subscribers, api_pid, ramp_per_second):
    loop = asyncio.new_event_loop()
    jobs = max(1, subscribers // PER_JOB)
    # Long enough for every subscriber to connect before the jobs end.
    hold_ms = int((subscribers / ramp_per_second + 30) * 1000)
    ids = []
    for i in range(jobs):
        body = {"request": {"model": "llmq-sim", "messages": [
            {"role": "user", "content": f"scale {i} [[sim delay_ms={hold_ms}]] [[sim tokens=50]]"}]}}
        ids.append(http("POST", base + "/v1/jobs", body, {"Authorization": "Bearer " + key})["id"])
    done_at, opened, samples = [], [], []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(rss_mib(api_pid))
            time.sleep(1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    baseline = rss_mib(api_pid)

    async def drive():
        tasks = []
        for n in range(subscribers):
            tasks.append(asyncio.ensure_future(
                sse(port, ids[n % jobs], key, done_at, opened, hold_ms / 1000 + 120)))
            if n % 100 == 99:
                await asyncio.sleep(100 / ramp_per_second)
        connected_at = time.time()
        while len(opened) < subscribers and time.time() - connected_at < 30:
            await asyncio.sleep(0.5)
        await asyncio.sleep(5)
        streams = metric(base, "llmq_sse_streams")
        rss_connected = rss_mib(api_pid)
        await asyncio.gather(*tasks)
        return streams, rss_connected

    streams, rss_connected = loop.run_until_complete(drive())
    stop.set()
    return {"subscribers": subscribers, "jobs": jobs, "connected_streams_seen_by_api": streams,
            "received_done": len(done_at), "api_rss_mib_before": round(baseline),
            "api_rss_mib_all_connected": round(rss_connected),
            "api_rss_mib_peak": round(max(samples) if samples else 0)}


def metric(base, name):
    text = urllib.request.urlopen(base + "/q/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def run(jobs=500, subscribers=10000, name="llmq_bench_notify"):
    """One run: the latency figures (with raw times) and the scale figures. Drops its database
    and deletes its queues at the end."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    env = isolated_env(name)
    api_port, worker_port = free_port(), free_port()
    hook_port = free_port()
    receiver = subprocess.Popen([sys.executable, __file__, "--receive", str(hook_port)],
                                stdout=subprocess.PIPE, text=True)
    receiver.stdout_lines = []
    threading.Thread(target=lambda: receiver.stdout_lines.extend(iter(receiver.stdout.readline, "")),
                     daemon=True).start()
    hook = f"http://127.0.0.1:{hook_port}/hook"
    env.update({"LLMQ_WEBHOOKS_ALLOW_INSECURE": "true", "LLMQ_WORKER_CONCURRENCY": "512"})
    processes = []
    try:
        api = launch(processes, java, "api", "notify-api", {**env, "LLMQ_API_PORT": str(api_port)})
        worker = launch(processes, java, "worker", "notify-worker",
                        {**env, "LLMQ_WORKER_PORT": str(worker_port)})
        wait_ready(f"http://127.0.0.1:{worker_port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        base = f"http://127.0.0.1:{api_port}"
        key = tenant_key(base, "bench-admin")

        # A first round warms the JVMs up (JIT); the second is measured.
        latency(base, api_port, key, hook, min(jobs, 200), 20, name, receiver)
        psql("DELETE FROM webhook_attempts; DELETE FROM webhook_deliveries; DELETE FROM jobs", name)
        result = latency(base, api_port, key, hook, jobs, 20, name, receiver)
        scaled = scale(base, api_port, key, subscribers, api.pid, 1000)
        return {"latency": result, "scale": scaled}
    finally:
        receiver.terminate()
        stop(processes + [receiver])
        drop_database(name)
        delete_queues(env)


def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    subscribers = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    figures = run(jobs, subscribers)
    result, scaled = figures["latency"], figures["scale"]
    result.pop("sse_raw_ms")
    result.pop("webhook_raw_ms")
    print(json.dumps(result), flush=True)
    print(json.dumps(scaled), flush=True)
    s, w = result["sse_ms"], result["webhook_ms"]
    print()
    print("| measure | n | p50 | p90 | p99 | max |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, p in (("terminal status → SSE `done`", s), ("terminal status → webhook received", w)):
        if p:
            print(f"| {label} | {p['n']} | {p['p50']:.1f} ms | {p['p90']:.1f} ms | {p['p99']:.1f} ms | {p['max']:.1f} ms |")
    print()
    print("| subscribers | jobs | streams open (api gauge) | received `done` | api RSS before / all connected / peak |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {scaled['subscribers']:,} | {scaled['jobs']} | {scaled['connected_streams_seen_by_api']} |"
          f" {scaled['received_done']:,} | {scaled['api_rss_mib_before']} / {scaled['api_rss_mib_all_connected']}"
          f" / {scaled['api_rss_mib_peak']} MiB |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--receive":
        receive(int(sys.argv[2]))
    else:
        main()
