#!/usr/bin/env python3
"""Graceful-stop benchmark: how long a worker and an api take from SIGTERM to exit with work in
flight, and what becomes of that work.

Starts the api and a worker (packaged jars, prod profile, a database and queue of their own, the
built-in simulated provider) and runs three rounds:

1. finish: `jobs` jobs (max_attempts 1) whose calls take `short_ms`, all running, then SIGTERM to
   the worker. Its calls end inside the grace: time to exit, exit code, jobs succeeded.
2. cut: `jobs` jobs whose calls take `long_ms`, longer than the worker's grace (`grace_s`), then
   SIGTERM. The calls are cut at the grace and their jobs handed back: time to exit, exit code;
   then a new worker runs them, and every one must succeed, its attempt not spent.
3. api: `streams` SSE streams open on running jobs, then SIGTERM to the api: time to exit, exit
   code, streams that ended with a `reconnect` event; a new api resumes each from its
   Last-Event-ID to `done`.

Every round counts ERROR lines in the stopped process's log. Only loopback is used; every wait is
bounded; only the processes this script started are stopped, by their handles.

Run: bench/shutdown.sh [jobs] [grace_s] [streams].
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import OUT, free_port, http, isolated_env, launch, psql, stop, tenant_key, wait_ready  # noqa: E402

JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 64
GRACE_S = int(sys.argv[2]) if len(sys.argv) > 2 else 10
STREAMS = int(sys.argv[3]) if len(sys.argv) > 3 else 50
SHORT_MS = 6000
LONG_MS = 30000
DB = "llmq_bench_shutdown"
JAVA = os.path.join(os.environ["JAVA_HOME"], "bin", "java")


def submit(base, auth, prompt):
    body = {"request": {"model": "llmq-sim", "messages": [{"role": "user", "content": prompt}]},
            "max_attempts": 1}
    return http("POST", base + "/v1/jobs", body, auth)["id"]


def submit_all(base, auth, prompts):
    """Submits every prompt, eight at a time, so that all are running together soon."""
    ids = [None] * len(prompts)

    def send(offset):
        for i in range(offset, len(prompts), 8):
            ids[i] = submit(base, auth, prompts[i])

    senders = [threading.Thread(target=send, args=(offset,)) for offset in range(8)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return ids


def count(sql):
    return int(psql(sql, DB) or 0)


def await_true(what, check, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def errors_in(label):
    with open(os.path.join(OUT, f"{label}.log")) as log:
        return [line.rstrip() for line in log if " ERROR " in line or '"level":"ERROR"' in line]


def sigterm(process):
    """SIGTERM; answers (seconds to exit, exit code)."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=120)
    return time.monotonic() - started, code


def worker(processes, env, label):
    port = free_port()
    process = launch(processes, JAVA, "worker", label,
                     {**env, "LLMQ_WORKER_PORT": str(port), "LLMQ_WORKER_ID": label,
                      "LLMQ_WORKER_SHUTDOWN_GRACE": f"{GRACE_S}s"})
    wait_ready(f"http://127.0.0.1:{port}/q/health/ready", process)
    return process


def api(processes, env, label):
    port = free_port()
    process = launch(processes, JAVA, "api", label, {**env, "LLMQ_API_PORT": str(port)})
    wait_ready(f"http://127.0.0.1:{port}/q/health/ready", process)
    return process, f"http://127.0.0.1:{port}"


def stream(base, auth, job, after, frames):
    """Reads a job's SSE stream from `after` until the server ends it; appends (event, id, data)."""
    headers = {**auth, "Accept": "text/event-stream"}
    if after:
        headers["Last-Event-ID"] = str(after)
    request = urllib.request.Request(f"{base}/v1/jobs/{job}/events", headers=headers)
    event, ident, data = None, None, None
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("id:"):
                    ident = int(line[3:].strip())
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line == "" and event:
                    frames.append((event, ident, data))
                    event, ident, data = None, None, None
    except Exception as failure:  # the server went away mid-stream
        frames.append(("broken", None, str(failure)))


def main():
    env = isolated_env(DB)
    processes = []
    results = {}
    try:
        api_process, base = api(processes, env, "shutdown-api")
        auth = {"Authorization": "Bearer " + tenant_key(base, env["LLMQ_ADMIN_TOKEN"])}

        # 1. Calls that end inside the grace.
        w1 = worker(processes, env, "shutdown-worker-1")
        ids = submit_all(base, auth, [f"finish {i} [[sim delay_ms={SHORT_MS}]]" for i in range(JOBS)])
        await_true("all running", lambda: count(
            "SELECT count(*) FROM jobs WHERE status = 'running'") == JOBS, 60)
        seconds, code = sigterm(w1)
        results["finish"] = {
            "seconds": round(seconds, 2), "exit": code, "errors": errors_in("shutdown-worker-1"),
            "succeeded": count("SELECT count(*) FROM jobs WHERE status = 'succeeded'"),
        }

        # 2. Calls longer than the grace: cut, handed back, run by the next worker.
        w2 = worker(processes, env, "shutdown-worker-2")
        ids = submit_all(base, auth, [f"cut {i} [[sim delay_ms={LONG_MS}]]" for i in range(JOBS)])
        await_true("all running", lambda: count(
            "SELECT count(*) FROM jobs WHERE status = 'running'") == JOBS, 60)
        seconds, code = sigterm(w2)
        handed = count("SELECT count(*) FROM jobs WHERE handed_back = 1 AND status = 'queued'")
        worker(processes, env, "shutdown-worker-3")
        await_true("the handed-back jobs to end", lambda: count(
            "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')") == 0, 120)
        results["cut"] = {
            "seconds": round(seconds, 2), "exit": code, "errors": errors_in("shutdown-worker-2"),
            "handed_back": handed,
            "succeeded_after": count(
                "SELECT count(*) FROM jobs WHERE status = 'succeeded' AND attempts = 2"
                " AND handed_back = 1"),
            "aborted_ledger_rows": count(
                "SELECT count(*) FROM usage_ledger WHERE outcome = 'aborted'"),
        }

        # 3. SSE streams open when the api stops.
        ids = submit_all(base, auth,
                         [f"stream {i} [[sim delay_ms={LONG_MS}]]" for i in range(STREAMS)])
        await_true("all running", lambda: count(
            "SELECT count(*) FROM jobs WHERE status = 'running'") == STREAMS, 60)
        frames = {job: [] for job in ids}
        readers = [threading.Thread(target=stream, args=(base, auth, job, 0, frames[job]))
                   for job in ids]
        for reader in readers:
            reader.start()
        await_true("every stream's first event", lambda: all(frames[j] for j in ids), 30)
        seconds, code = sigterm(api_process)
        for reader in readers:
            reader.join(timeout=30)
        reconnects = {j: f[-1] for j, f in frames.items() if f and f[-1][0] == "reconnect"}
        _, base2 = api(processes, env, "shutdown-api-2")
        resumed = {job: [] for job in reconnects}
        for job, (_, _, data) in reconnects.items():
            after = json.loads(data)["last_event_id"]
            threading.Thread(target=stream, args=(base2, auth, job, after, resumed[job])).start()
        await_true("every resumed stream's done", lambda: all(
            any(frame[0] == "done" for frame in f) for f in resumed.values()), 120)
        duplicates = sum(
            1 for job in resumed
            for frame in resumed[job]
            if frame[1] is not None and frame[1] <= json.loads(reconnects[job][2])["last_event_id"])
        results["api"] = {
            "seconds": round(seconds, 2), "exit": code, "errors": errors_in("shutdown-api"),
            "streams": STREAMS, "reconnect_events": len(reconnects),
            "resumed_to_done": sum(1 for f in resumed.values() if any(x[0] == "done" for x in f)),
            "events_sent_twice": duplicates,
        }
    finally:
        stop(processes)
    print(json.dumps({"jobs": JOBS, "grace_s": GRACE_S, "short_ms": SHORT_MS, "long_ms": LONG_MS,
                      **results}, indent=2))


if __name__ == "__main__":
    main()
