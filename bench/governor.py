#!/usr/bin/env python3
"""Governor benchmark: goodput and 429 share against a rate-limited provider.

Starts the simulator with a tokens-per-minute and requests-per-minute limit, the api and N worker
processes whose `openai` provider points at it (with the same limits configured), then submits a
mixed workload (prompts of 20-2,000 characters, max_tokens 50-800) faster than the limit allows,
for the given minutes. It reports, over the steady window (after the first minute):

- goodput: billed tokens per minute (prompt + completion of completed calls) / the limit;
- limiter use: tokens the provider's limiter charged per minute / the limit;
- the share of upstream calls answered 429 (whole run);
- queue wait p50/p99 (created -> started) of jobs created in the window, and job outcomes.

Modes: `on` -- the governor on, the simulator charging prompt + max_tokens at admission and keeping
it, as OpenAI does (billed tokens then stay below the limit unless answers fill max_tokens, so
limiter use is the figure that can reach 1); `on-usage` -- the governor on, the simulator giving
back the unused max_tokens when a call completes, as Anthropic's output limit does, and the worker
settling on usage (`charges-max-tokens=false`), so billed tokens can reach the limit; `off` -- the
governor off, retries only, against the simulator of `on`.

Run: bench/governor.sh [minutes] [tokens-per-minute] [jobs-per-second] [on|on-usage|off] -- every
mode in turn, or only the one named. The default load (4 jobs/s, ~675 tokens reserved and ~390
billed each) is well above a 60,000 TPM limit, so a backlog forms and the limit, not the load,
decides the throughput; the steady window opens at 90 s, once the backlog has drained the
limiter's initial full bucket.
Only loopback addresses are used; every loop is bounded in count and time.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import free_port, http, launch, psql, stop, tenant_key, wait_ready  # noqa: E402
WORDS = ("the queue holds every job until a worker takes it and runs the call model answers with "
         "tokens that arrive one by one while limits keep provider calm").split()










def run(mode, minutes, tpm, rpm, workers, rate, java):
    governed = mode != "off"
    refunds = mode == "on-usage"
    name = "llmq_bench"
    # Every run starts with fresh governor buckets: a previous run's backlog leaves its reservations
    # (debt) in Redis for the jobs it kept waiting, which this run's database no longer has.
    stale = subprocess.run(["redis-cli", "-h", "127.0.0.1", "--scan", "--pattern", "llmq:governor:*"],
                           check=True, capture_output=True, text=True).stdout.split()
    if stale:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "del", *stale], check=True, capture_output=True)
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {name}", "postgres")
    queue = "llmq-bench-" + uuid.uuid4().hex[:8]
    sim_port, api_port = free_port(), free_port()
    env = dict(os.environ)
    env.update({
        "LLMQ_DB_URL": f"postgresql://127.0.0.1:5432/{name}", "LLMQ_ADMIN_TOKEN": "bench-admin",
        "LLMQ_QUEUE_EXCHANGE": queue, "LLMQ_QUEUE_NAME": queue,
        "LLMQ_QUEUE_DEAD_LETTER_EXCHANGE": queue + ".dlx", "LLMQ_QUEUE_DEAD_LETTER_QUEUE": queue + ".dlq",
        "LLMQ_OPENAI_BASE_URL": f"http://127.0.0.1:{sim_port}/v1", "LLMQ_OPENAI_API_KEY": "bench-key",
        "LLMQ_OPENAI_TOKENS_PER_MINUTE": str(tpm), "LLMQ_OPENAI_REQUESTS_PER_MINUTE": str(rpm),
        "LLMQ_GOVERNOR_ENABLED": "true" if governed else "false",
        "QUARKUS_LOG_CONSOLE_JSON_ENABLED": "false",
        "QUARKUS_LOG_CATEGORY__IO_LLMQ_WORKER_GOVERNOR__LEVEL": "DEBUG",
        "LLMQ_SIMULATOR_PORT": str(sim_port), "LLMQ_SIMULATOR_TOKENS_PER_MINUTE": str(tpm),
        "LLMQ_SIMULATOR_REQUESTS_PER_MINUTE": str(rpm),
        "LLMQ_SIMULATOR_REFUND_UNUSED": "true" if refunds else "false",
    })
    processes = []

    flags = [f"-Dllmq.providers.openai.charges-max-tokens={'false' if refunds else 'true'}"]

    def start(module, label, extra):
        return launch(processes, java, module, label, {**env, **extra}, flags)

    try:
        sim = start("simulator", "simulator", {})
        wait_ready(f"http://127.0.0.1:{sim_port}/stats", sim)
        api = start("api", "api", {"LLMQ_API_PORT": str(api_port)})
        for i in range(workers):
            port = free_port()
            worker = start("worker", f"worker-{i + 1}", {"LLMQ_WORKER_PORT": str(port)})
            wait_ready(f"http://127.0.0.1:{port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        base = f"http://127.0.0.1:{api_port}"
        key = tenant_key(base, "bench-admin")
        auth = {"Authorization": "Bearer " + key}

        duration = minutes * 60
        total = int(duration * rate)
        # The limiter's bucket starts full; the window opens once the backlog has drained it.
        window_at = min(90, duration / 3)
        rng = random.Random(42)
        bodies = []
        for i in range(total):
            chars = rng.randint(20, 2000)
            words, length = [], 0
            while length < chars:
                word = rng.choice(WORDS)
                words.append(word)
                length += len(word) + 1
            prompt = f"job {i}: " + " ".join(words)[:chars]
            bodies.append({"request": {"model": "gpt-4o-mini", "max_tokens": rng.randint(50, 800),
                                       "messages": [{"role": "user", "content": prompt}]}})
        start = time.time()
        errors = [0]

        def submit(index):
            try:
                http("POST", base + "/v1/jobs", bodies[index], auth)
            except Exception:
                errors[0] += 1

        stats = {}

        def sample(label):
            stats[label] = (time.time(), http("GET", f"http://127.0.0.1:{sim_port}/stats"))

        sample("start")
        threads = []
        for i in range(total):
            delay = start + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            if i == int(window_at * rate):
                sample("window")
            t = threading.Thread(target=submit, args=(i,))
            t.start()
            threads.append(t)
        for t in threads:
            t.join(timeout=30)
        remaining = start + duration - time.time()
        if remaining > 0:
            time.sleep(remaining)
        sample("end")

        (t0, s0), (t1, s1), (ts, st) = stats["window"], stats["end"], stats["start"]
        window_minutes = (t1 - t0) / 60
        charged = (s1["tokens_charged"] - s0["tokens_charged"]) / window_minutes
        billed = ((s1["prompt_tokens"] + s1["completion_tokens"]) -
                  (s0["prompt_tokens"] + s0["completion_tokens"])) / window_minutes
        calls = s1["requests"] - st["requests"]
        limited = s1["rate_limited"] - st["rate_limited"]
        window_start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t0))
        waits = psql(
            "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at))::numeric, 2),"
            " round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at))::numeric, 2)"
            f" FROM jobs WHERE started_at IS NOT NULL AND created_at >= timestamp '{window_start}' AT TIME ZONE 'UTC'",
            name)
        outcomes = psql("SELECT string_agg(status || '=' || n, ' ') FROM"
                        " (SELECT status, count(*) n FROM jobs GROUP BY status ORDER BY status) s", name)
        p50, p99 = (waits.split("|") + ["", ""])[:2]
        return {
            "governor": mode, "workers": workers, "tpm": tpm, "rpm": rpm, "goodput": billed / tpm,
            "submitted": total, "submit_errors": errors[0], "limiter_use": charged / tpm,
            "billed_per_minute": billed, "upstream_calls": calls, "share_429": limited / calls if calls else 0,
            "wait_p50_s": p50, "wait_p99_s": p99, "jobs": outcomes,
        }
    finally:
        stop(processes)


def main():
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 3
    tpm = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 4.0
    known = ("on", "on-usage", "off")
    modes = (sys.argv[4],) if len(sys.argv) > 4 and sys.argv[4] in known else known
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    results = []
    for mode in modes:
        result = run(mode, minutes, tpm, 1000, 2, rate, java)
        print(json.dumps(result), flush=True)
        results.append(result)
    print()
    print("| governor | workers | TPM limit | goodput | limiter use | billed tokens/min | upstream calls | 429 share | queue wait p50 / p99 | jobs |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['governor']} | {r['workers']} | {r['tpm']:,} | {r['goodput']:.3f} | {r['limiter_use']:.3f}"
              f" | {r['billed_per_minute']:,.0f} | {r['upstream_calls']} | {r['share_429']:.4f}"
              f" | {r['wait_p50_s']} s / {r['wait_p99_s']} s | {r['jobs']} |")


if __name__ == "__main__":
    main()
