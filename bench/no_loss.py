#!/usr/bin/env python3
"""No loss: jobs through worker kill -9s and a broker restart, every one terminal, none lost,
none completed twice.

Starts the api and two worker processes (packaged jars, prod profile, a database and queue of
their own), then submits `jobs` jobs to the built-in simulated provider (its default pace: 200 ms
to the first token, then 200 tokens/s; 16 tokens, so about 0.3 s a call) at `rate` a second. While
they are submitted and run:

- every `kill_every` seconds one worker (in turn) is killed with SIGKILL and started again 2 s
  later: its running jobs die mid-call, their messages go back to the queue unacked, and their
  leases lapse (`llmq.worker.lease-duration`, 30 s) before another attempt may claim them;
- once, a third of the way in, RabbitMQ's application is stopped for 5 s and started again
  (`rabbitmqctl stop_app` / `start_app`): the api keeps accepting (the outbox holds the
  messages), and the workers reconnect.

Then it waits until no job is queued or running (at most `drain` seconds) and checks:

- *none lost:* every job the api accepted (202) is in the database, and terminal (a lost job is
  one accepted but missing, or still queued or running when the wait ends);
- *none completed twice:* no job reached a terminal status twice, counted from the workers' logs,
  which log each transition they commit (`Job(id=…) succeeded`), killed processes included;
- how many were run more than once (`attempts > 1`), which is expected after a kill.

Run: bench/no-loss.sh [jobs] [rate] [kill every s] [drain s]. Needs `rabbitmqctl` (the broker on
this machine). Only loopback is used; every loop is bounded in count and time.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    OUT, drive, free_port, isolated_env, launch, psql, stop, tenant_key, wait_ready)

DB = "llmq_bench_no_loss"
ENDED = re.compile(r"Job\(id=([0-9a-f-]{36})\) (succeeded|failed|expired)\s*$")


def job(slot):
    return {"request": {"model": "llmq-sim", "max_tokens": 16, "messages": [
        {"role": "user", "content": f"no loss {slot} {uuid.uuid4()}"}]}}


def chaos(java, env, workers, kill_every, broker_at, until, log):
    """Kills and restarts the workers in turn, and restarts the broker once, until `until`."""
    start = time.time()
    broker_done = False
    turn = 0
    while time.time() < until:
        time.sleep(1)
        elapsed = time.time() - start
        if not broker_done and elapsed >= broker_at:
            broker_done = True
            log.append(f"{elapsed:5.1f}s RabbitMQ stop_app")
            subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True)
            time.sleep(5)
            subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True)
            log.append(f"{time.time() - start:5.1f}s RabbitMQ start_app")
        if elapsed >= kill_every * (turn + 1):
            index = turn % len(workers)
            process, port, runs = workers[index]
            process.kill()
            process.wait(timeout=20)
            log.append(f"{elapsed:5.1f}s kill -9 worker {index + 1}")
            time.sleep(2)
            runs += 1
            process = launch([], java, "worker", f"no-loss-worker-{index + 1}-{runs}",
                             {**env, "LLMQ_WORKER_PORT": str(port)})
            workers[index] = (process, port, runs)
            turn += 1


def transitions():
    """How many terminal transitions each job had, from every worker log of this run."""
    ended = Counter()
    for name in os.listdir(OUT):
        if name.startswith("no-loss-worker-"):
            with open(os.path.join(OUT, name), errors="replace") as log:
                for line in log:
                    match = ENDED.search(line)
                    if match:
                        ended[match.group(1)] += 1
    return ended


def main():
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 100
    kill_every = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    drain = float(sys.argv[4]) if len(sys.argv) > 4 else 600
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    env = isolated_env(DB)
    api_port = free_port()
    for name in os.listdir(OUT) if os.path.isdir(OUT) else []:
        if name.startswith("no-loss-worker-"):
            os.remove(os.path.join(OUT, name))
    processes, workers, log = [], [], []
    try:
        api = launch(processes, java, "api", "no-loss-api", {**env, "LLMQ_API_PORT": str(api_port)})
        for i in range(2):
            port = free_port()
            worker = launch([], java, "worker", f"no-loss-worker-{i + 1}-0",
                            {**env, "LLMQ_WORKER_PORT": str(port)})
            workers.append((worker, port, 0))
            wait_ready(f"http://127.0.0.1:{port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        auth = {"Authorization": "Bearer " + tenant_key(f"http://127.0.0.1:{api_port}", "bench-admin")}

        seconds = jobs / rate
        chaos_thread = threading.Thread(target=chaos, args=(
            java, env, workers, kill_every, seconds / 3, time.time() + seconds, log))
        chaos_thread.start()
        ids, _, _, errors, elapsed = drive(api_port, auth, rate, seconds, job)
        chaos_thread.join(timeout=120)

        deadline = time.time() + drain
        while time.time() < deadline:
            if psql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')", DB) == "0":
                break
            time.sleep(2)
        drained_in = round(drain - (deadline - time.time()), 1)

        outcome = psql("SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n"
                       " FROM jobs GROUP BY 1 ORDER BY 1) s", DB)
        stored = set(psql("SELECT id FROM jobs", DB).split())
        open_jobs = int(psql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')", DB))
        rerun = int(psql("SELECT count(*) FROM jobs WHERE attempts > 1", DB))
        ended = transitions()
        twice = sorted(job_id for job_id, n in ended.items() if n > 1)
        accepted = set(ids)
        result = {
            "jobs_asked": jobs, "accepted": len(accepted), "submit_errors": errors,
            "submit_seconds": round(elapsed, 1), "stored": len(stored), "not_terminal": open_jobs,
            "lost": len(accepted - stored) + open_jobs, "outcome": outcome,
            "completed_twice": len(twice), "run_more_than_once": rerun,
            "terminal_transitions_logged": sum(ended.values()), "drained_in_s": drained_in,
            "chaos": log}
        print(json.dumps(result), flush=True)
        print()
        print("| measure | figure |")
        print("| --- | --- |")
        print(f"| jobs accepted (202) | {len(accepted):,} of {jobs:,} asked ({errors} submit errors) |")
        print(f"| stored / accepted but not stored / still queued or running | {len(stored):,} /"
              f" {len(accepted - stored)} / {open_jobs} |")
        print(f"| outcome | {outcome} |")
        print(f"| **lost** | **{result['lost']}** |")
        print(f"| **completed twice** | **{len(twice)}** (terminal transitions logged:"
              f" {sum(ended.values()):,}) |")
        print(f"| run more than once (`attempts > 1`) | {rerun} |")
        print(f"| faults | {'; '.join(log)} |")
        if twice:
            print("completed twice:", ", ".join(twice[:20]))
    finally:
        stop(processes + [process for process, _, _ in workers])
        subprocess.run(["rabbitmqctl", "-q", "start_app"], capture_output=True)


if __name__ == "__main__":
    main()
