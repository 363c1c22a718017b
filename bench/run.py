#!/usr/bin/env python3
"""`./llmq bench [part...]`: runs SPEC §6's performance bars and writes their figures into
docs/benchmarks.md (the section between `<!-- bench:begin -->` and `<!-- bench:end -->`), with
plots in docs/bench/*.png.

Parts (all of them when none is named), in the order they run:

  limits    what the machine itself does, in the same run: pgbench one-row inserts, RabbitMQ
            confirmed publishes to a quorum queue (com.rabbitmq:perf-test), redis-benchmark
  submit    the api alone (no worker: jobs stay queued): closed-loop submit throughput with wrk,
            then open-loop submit latency at 1,000/s with bench/openloop.js
  dispatch  queued -> succeeded at 200 jobs/s, one worker, zero-latency provider (bench/dispatch.py)
  worker    one worker draining 20,000 queued zero-latency jobs: jobs/s to succeeded
  cache     cache-hit submit -> succeeded on an api that has served <= 500 requests, and single
            flight (bench/cache.py)
  notify    terminal commit -> SSE `done` / webhook received, 10,000 SSE subscribers' RSS
            (bench/notify.py)
  startup   process start -> /q/health/ready 200, api and worker each alone, 3 runs each

Each part starts its own apps (packaged jars, prod profile, a fresh JVM, a database and queue of
its own, free ports; benchlib.launch, which adds LLMQ_BENCH_JVM_OPTS), stops only the processes
it started, drops its database and deletes its queues. A part's figures go to
docs/bench/results.json, replacing that part's earlier ones; its raw samples go to
bench/out/raw/<part>.json (git-ignored) for the plots. The markdown is made anew from every part
stored, so a partial run keeps the other parts' figures (each says when it ran and on what load).
`--render` only remakes the markdown and plots. Every wait is bounded.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import (  # noqa: E402
    OUT, ROOT, cpu_per_op, cpu_snapshot, delete_queues, drop_database, free_port, isolated_env,
    launch, percentile, psql, rss_mib, stop, tenant_key, wait_ready)

PARTS = ["limits", "submit", "dispatch", "worker", "cache", "notify", "startup"]
DOCS = os.path.join(ROOT, "docs")
PLOTS = os.path.join(DOCS, "bench")
RESULTS = os.path.join(PLOTS, "results.json")
RAW = os.path.join(OUT, "raw")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PERF_TEST_VERSION = "2.22.1"
# Databases of this run's own: other runs on the shared PostgreSQL use the scripts' fixed names.
RUN_ID = uuid.uuid4().hex[:6]


def db_name(part):
    return f"llmq_bench_{part}_{RUN_ID}"
JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java")


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args, timeout, **kwargs):
    """A command's output; fails loudly, with the end of its output, on a non-zero exit or after
    `timeout` seconds."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"{os.path.basename(args[0])} exited {done.returncode}: " + " | ".join(tail))
    return done.stdout


def git_commit():
    try:
        commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], 10).strip()
        # The generated page and figures themselves do not count as changes.
        dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", ".",
                     ":!docs/benchmarks.md", ":!docs/bench"], 10).strip()
        return commit + (" (with uncommitted changes)" if dirty else "")
    except Exception:
        return "unknown"


def apt_install(package, why):
    print(f"Installing {package} (Debian package) {why}...", flush=True)
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=300)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return True
    except Exception as e:
        print(f"  could not install {package}: {e}", flush=True)
        return False


class Sampler:
    """Samples the RSS (MiB) of some PIDs every `every` seconds on a thread of its own."""

    def __init__(self, pids, every=0.5):
        self.pids, self.every, self.samples = pids, every, {label: [] for label in pids}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stopped.is_set():
            for label, pid in self.pids.items():
                self.samples[label].append(rss_mib(pid))
            self.stopped.wait(self.every)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=5)

    def peak(self, label):
        return round(max(self.samples[label] or [0]))


def await_sql(sql, db, want, seconds):
    """Polls `sql` until it answers `want`, for at most `seconds`; answers whether it did."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if psql(sql, db) == want:
            return True
        time.sleep(0.5)
    return False


def stats(values):
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(percentile(values, 50), 2),
            "p90": round(percentile(values, 90), 2), "p99": round(percentile(values, 99), 2),
            "max": round(max(values), 2)}


# ---------------------------------------------------------------------------------------------
# limits


def pgbench():
    db = db_name("pgbench")
    drop_database(db)
    psql(f"CREATE DATABASE {db}", "postgres")
    script = os.path.join(OUT, "pgbench-insert.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO job_like (id, tenant_id, status, request) VALUES (gen_random_uuid(),"
                " 'bench', 'queued', '{\"model\": \"llmq-sim\", \"max_tokens\": 16, \"messages\":"
                " [{\"role\": \"user\", \"content\": \"a prompt of a few words\"}]}');\n")
    try:
        psql("CREATE TABLE job_like (id uuid PRIMARY KEY, tenant_id text NOT NULL, status text NOT"
             " NULL, request jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())", db)
        out = run(["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-c", "16", "-j", "2",
                   "-T", "15", "-f", script, db], 90)
        tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
        latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
        return {"tps": round(tps), "latency_avg_ms": latency, "clients": 16, "seconds": 15}
    finally:
        drop_database(db)


def perf_test_classpath():
    """perf-test and its dependencies, fetched from Maven Central into bench/out/perf-test once."""
    target = os.path.join(OUT, "perf-test")
    if not os.path.exists(os.path.join(target, f"perf-test-{PERF_TEST_VERSION}.jar")):
        log(f"fetching com.rabbitmq:perf-test:{PERF_TEST_VERSION} (Maven Central) into {target}")
        run([os.path.join(ROOT, "mvnw"), "-B", "-q", "-f", os.path.join(ROOT, "bench", "perf-test.pom.xml"),
             f"-Dperf-test.version={PERF_TEST_VERSION}", "dependency:copy-dependencies",
             f"-DoutputDirectory={target}"], 600)
    return os.path.join(target, "*")


def perf_test():
    queue = "llmq-bench-perftest-" + uuid.uuid4().hex[:8]
    try:
        out = run([JAVA, "-Xmx256m", "-cp", perf_test_classpath(), "com.rabbitmq.perf.PerfTest",
                   "-h", "amqp://guest:guest@127.0.0.1:5672", "--quorum-queue", "--queue", queue,
                   "--auto-delete", "false", "-x", "1", "-y", "0", "-c", "64", "-z", "15",
                   "-s", "300"], 120)
        rate = float(re.search(r"sending rate avg: ([\d.]+) msg/s", out).group(1))
        confirm = re.search(r"confirm latency min/median/75th/95th/99th ([\d]+)/([\d]+)/[\d]+/[\d]+/([\d]+)", out)
        return {"confirmed_msgs_per_s": round(rate), "confirm_p50_ms": int(confirm.group(2)) / 1000,
                "confirm_p99_ms": int(confirm.group(3)) / 1000, "producers": 1,
                "confirm_window": 64, "body_bytes": 300, "seconds": 15}
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_queue", queue], capture_output=True, timeout=60,
                       check=False)


def redis_benchmark():
    key = "llmq-bench:" + uuid.uuid4().hex[:8]
    figures = {}
    try:
        for label, command in (("set", ["SET", key, "x" * 64]), ("get", ["GET", key]),
                               ("eval", ["EVAL", "return redis.call('INCR', KEYS[1] .. ':n')", "1", key])):
            out = run(["redis-benchmark", "-h", "127.0.0.1", "-q", "-n", "100000", "-c", "50",
                       *command], 120)
            line = out.strip().splitlines()[-1]
            rate = float(re.search(r"([\d.]+) requests per second", line).group(1))
            p50 = re.search(r"p50=([\d.]+) msec", line)
            figures[label] = {"ops_per_s": round(rate), "p50_ms": float(p50.group(1)) if p50 else None}
    finally:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "DEL", key, key + ":n"], capture_output=True,
                       timeout=30, check=False)
    return figures


def part_limits():
    log("limits: pgbench one-row inserts (16 clients, 15 s)")
    results = {"pgbench": pgbench()}
    log("limits: perf-test confirmed publishes to a quorum queue (15 s)")
    results["perf_test"] = perf_test()
    log("limits: redis-benchmark SET / GET / EVAL")
    results["redis"] = redis_benchmark()
    return results, {}


# ---------------------------------------------------------------------------------------------
# submit


def wrk_script(key):
    path = os.path.join(OUT, "submit.lua")
    with open(path, "w") as f:
        f.write(f'''wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/v1/jobs", nil, '{{"request":{{"model":"llmq-sim","max_tokens":16,"messages":[{{"role":"user","content":"wrk ' .. counter .. ' [[sim delay_ms=0]]"}}]}}}}')
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d non2xx=%d errors=%d p50=%d p90=%d p99=%d max=%d\\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
''')
    return path


def wrk(port, script, connections, seconds):
    out = run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script,
               f"http://127.0.0.1:{port}"], seconds + 60)
    m = re.search(r"BENCH requests=(\d+) non2xx=(\d+) errors=(\d+) p50=(\d+) p90=(\d+) p99=(\d+) max=(\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    n, non2xx, errors, p50, p90, p99, top = (int(x) for x in m.groups())
    return {"requests": n, "non_2xx": non2xx, "socket_errors": errors, "requests_per_s": round(rps),
            "p50_ms": p50 / 1000, "p90_ms": p90 / 1000, "p99_ms": p99 / 1000, "max_ms": top / 1000}


def openloop(port, key, mode, a, b, timeout):
    out = os.path.join(OUT, f"openloop-{mode}.json")
    run(["node", os.path.join(ROOT, "bench", "openloop.js"), mode, str(port), key, out, str(a), str(b)],
        timeout)
    with open(out) as f:
        return json.load(f)


def per_second_created(db, since):
    rows = psql("SELECT floor(extract(epoch FROM created_at) - " + str(since) + ")::int, count(*)"
                f" FROM jobs WHERE created_at >= to_timestamp({since}) GROUP BY 1 ORDER BY 1", db)
    counts = {}
    for line in rows.splitlines():
        second, n = line.split("|")
        counts[int(second)] = int(n)
    return [counts.get(s, 0) for s in range(max(counts) + 1)] if counts else []


def part_submit():
    db = db_name("submit")
    env = isolated_env(db)
    port = free_port()
    processes = []
    try:
        api = launch(processes, JAVA, "api", "bench-submit-api", {**env, "LLMQ_API_PORT": str(port)})
        wait_ready(f"http://127.0.0.1:{port}/q/health/ready", api)
        key = tenant_key(f"http://127.0.0.1:{port}", "bench-admin")
        time.sleep(3)
        idle_rss = round(rss_mib(api.pid))
        script = wrk_script(key)
        log("submit: warm-up, wrk 64 connections 10 s")
        wrk(port, script, 64, 10)
        count_sql = "SELECT count(*) FROM jobs"
        before_jobs = int(psql(count_sql, db))
        since = time.time()
        before = cpu_snapshot({"api": api.pid})
        log("submit: closed loop, wrk 64 connections 20 s (api alone, jobs stay queued)")
        with Sampler({"api": api.pid}) as sampler:
            closed = wrk(port, script, 64, 20)
        after = cpu_snapshot({"api": api.pid})
        submits = int(psql(count_sql, db)) - before_jobs
        closed["jobs_committed"] = submits
        closed["cpu_ms_per_submit"] = cpu_per_op(before, after, submits)
        closed["api_rss_mib_peak"] = sampler.peak("api")
        closed["per_second"] = per_second_created(db, since)[:20]
        time.sleep(2)
        log("submit: open loop 1,000/s for 20 s (node bench/openloop.js)")
        open_run = openloop(port, key, "open", 1000, 20, 120)
        latency = open_run.pop("latency_ms")
        service = open_run.pop("service_ms")
        lag = open_run.pop("lag_ms")
        opened = {k: open_run[k] for k in ("scheduled_rate", "seconds", "sent", "ok", "errors",
                                            "statuses", "elapsed_s", "achieved_rate", "sockets")}
        opened["latency_ms"] = stats(latency)
        opened["service_ms"] = stats(service)
        opened["lag_ms"] = stats(lag)
        return ({"closed": closed, "open": opened, "api_rss_mib_idle": idle_rss},
                {"open_latency_ms": latency, "open_per_second": open_run["per_second"],
                 "closed_per_second": closed["per_second"]})
    finally:
        stop(processes)
        drop_database(db)
        delete_queues(env)


# ---------------------------------------------------------------------------------------------
# dispatch, cache, notify: the existing scripts


def part_dispatch():
    import dispatch
    dispatch.DB = db_name("dispatch")
    log("dispatch: 200 jobs/s, 1 worker: 10 s warm-up, 20 s measured")
    result = dispatch.run(200, 20, 1, 10)
    raw = result.pop("raw_ms")
    return result, {"dispatch_ms": raw}


def part_cache():
    import cache
    cache.DB = db_name("cache")
    log("cache: 100 warm-up rounds, 200 hits measured (< 500 requests since the api started); single flight")
    result = cache.run(hits=200, count=100, warmup=100, turns=0)
    hit = result["latency"]["cache hit"]
    raw = hit.pop("raw_ms")
    return result, {"cache_hit_ms": raw}


def part_notify():
    import notify
    log("notify: 300 jobs' SSE `done` and webhooks after a 200-job warm-up; 10,000 SSE subscribers")
    result = notify.run(300, 10000, db_name("notify"))
    lat = result["latency"]
    raw = {"sse_ms": lat.pop("sse_raw_ms"), "webhook_ms": lat.pop("webhook_raw_ms")}
    return result, raw


# ---------------------------------------------------------------------------------------------
# worker


def part_worker(jobs=20000):
    db = db_name("worker")
    env = isolated_env(db)
    api_port, worker_port = free_port(), free_port()
    processes = []
    try:
        api = launch(processes, JAVA, "api", "bench-worker-api", {**env, "LLMQ_API_PORT": str(api_port)})
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        key = tenant_key(f"http://127.0.0.1:{api_port}", "bench-admin")
        log(f"worker: queueing {jobs:,} zero-latency jobs (worker stopped)")
        preload = openloop(api_port, key, "closed", 64, jobs, 600)
        queued = int(psql("SELECT count(*) FROM jobs WHERE status = 'queued'", db))
        if not await_sql("SELECT count(*) FROM job_outbox", db, "0", 120):
            raise RuntimeError("the outbox did not empty in 120 s")
        log(f"worker: {queued:,} queued; starting one worker")
        worker = launch(processes, JAVA, "worker", "bench-worker-worker",
                        {**env, "LLMQ_WORKER_PORT": str(worker_port)})
        with Sampler({"worker": worker.pid}) as sampler:
            wait_ready(f"http://127.0.0.1:{worker_port}/q/health/ready", worker)
            done_sql = "SELECT count(*) FROM jobs WHERE status = 'succeeded'"
            before = cpu_snapshot({"api": api.pid, "worker": worker.pid})
            done_before = int(psql(done_sql, db))
            finished = await_sql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')",
                                 db, "0", 300)
            after = cpu_snapshot({"api": api.pid, "worker": worker.pid})
            done_after = int(psql(done_sql, db))
        time.sleep(3)
        idle_after = round(rss_mib(worker.pid))
        times = [float(x) for x in psql(
            "SELECT extract(epoch FROM completed_at) FROM jobs WHERE status = 'succeeded'"
            " ORDER BY completed_at", db).split()]
        outcome = psql("SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n"
                       " FROM jobs GROUP BY 1 ORDER BY 1) s", db)
        first = times[0] if times else 0
        per_second = [0] * (int(times[-1] - first) + 1 if times else 0)
        for t in times:
            per_second[int(t - first)] += 1
        lo, hi = int(len(times) * 0.1), int(len(times) * 0.9) - 1
        steady = (hi - lo) / (times[hi] - times[lo]) if len(times) > 20 and times[hi] > times[lo] else 0
        return ({"jobs": jobs, "preload_ok": preload["ok"], "finished": finished, "outcome": outcome,
                 "steady_jobs_per_s": round(steady),
                 "overall_jobs_per_s": round(len(times) / (times[-1] - first)) if len(times) > 1 else 0,
                 "peak_second": max(per_second or [0]),
                 "cpu_ms_per_job": cpu_per_op(before, after, done_after - done_before),
                 "jobs_measured_for_cpu": done_after - done_before,
                 "worker_rss_mib_peak": sampler.peak("worker"), "worker_rss_mib_after": idle_after},
                {"worker_per_second": per_second})
    finally:
        stop(processes)
        drop_database(db)
        delete_queues(env)


# ---------------------------------------------------------------------------------------------
# startup


def time_to_ready(module, env, port_var, label, seconds=60):
    """Starts one app alone; answers seconds from just before its fork to the first 200 from
    /q/health/ready (polled every 20 ms), and its RSS 3 s later."""
    port = free_port()
    processes = []
    try:
        process = launch(processes, JAVA, module, label, {**env, port_var: str(port)})
        url = f"http://127.0.0.1:{port}/q/health/ready"
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{module} exited at start-up; see bench/out/{label}.log")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        ready = time.perf_counter() - process.started
                        time.sleep(3)
                        return ready, rss_mib(process.pid)
            except Exception:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{module} not ready in {seconds} s")
    finally:
        stop(processes)


def idle_share(seconds):
    """The share of the machine's CPU time that was idle over the next `seconds` (/proc/stat)."""
    def sample():
        with open("/proc/stat") as stat:
            values = [int(x) for x in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values)
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def part_startup(runs=3):
    db = db_name("startup")
    env = isolated_env(db)
    try:
        log("startup: a first api start creates the schema (not measured)")
        time_to_ready("api", env, "LLMQ_API_PORT", "bench-startup-prime")
        results = {}
        for module, port_var in (("api", "LLMQ_API_PORT"), ("worker", "LLMQ_WORKER_PORT")):
            times, rss = [], []
            for i in range(runs):
                ready, memory = time_to_ready(module, env, port_var, f"bench-startup-{module}-{i + 1}")
                log(f"startup: {module} run {i + 1}: ready in {ready:.2f} s")
                times.append(ready)
                rss.append(memory)
            results[module] = {"runs_s": [round(t, 3) for t in times], "min_s": round(min(times), 3),
                               "median_s": round(statistics.median(times), 3),
                               "max_s": round(max(times), 3),
                               "rss_mib_idle": round(statistics.median(rss))}
        results["jvm_opts"] = " ".join(
            ["AOT cache" if benchlib.jvm_opts("api") and benchlib.jvm_opts("worker") else "no AOT cache",
             os.environ.get("LLMQ_BENCH_JVM_OPTS", "")]).strip()
        return results, {}
    finally:
        drop_database(db)
        delete_queues(env)


# ---------------------------------------------------------------------------------------------
# the report


def load_results():
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            return json.load(f)
    return {"parts": {}}


def fmt(x, digits=0):
    if x is None:
        return "–"
    if isinstance(x, (int, float)):
        return f"{x:,.{digits}f}"
    return str(x)


def ms(x):
    """A latency for the page: 2 decimals under 10 ms, 1 under 100, none above."""
    if x is None:
        return "–"
    return f"{x:,.{2 if x < 10 else 1 if x < 100 else 0}f} ms"


def verdict(ok, measured=None, target=None, higher_is_better=False):
    """`met`, or `NOT met` with how far off: the share of the target reached (higher is
    better) or the factor over it (lower is better)."""
    if ok:
        return "met"
    off = ""
    if measured is not None and target:
        off = (f" ({measured / target:.0%} of the target)" if higher_is_better
               else f" ({measured / target:.1f}× the target)")
    return "**NOT met**" + off


def bars(parts):
    """Rows of (bar, target, measured, verdict, part) for SPEC §6's performance bars."""
    rows = []
    s = parts.get("submit", {}).get("figures")
    if s:
        c, o = s["closed"], s["open"]
        rows.append(("submit throughput", "≥ 2,000 durable submits/s on 2 cores",
                     f"{fmt(c['requests_per_s'])}/s (wrk, 64 connections, {fmt(c['non_2xx'] + c['socket_errors'])} errors)",
                     verdict(c["requests_per_s"] >= 2000 and c["non_2xx"] == 0, c["requests_per_s"], 2000, True), "submit"))
        p99 = o["latency_ms"].get("p99")
        rows.append(("submit latency", "p99 ≤ 25 ms at 1,000/s (half the throughput bar)",
                     f"p99 {fmt(p99, 1)} ms at {fmt(o['achieved_rate'])}/s achieved, {fmt(o['errors'])} errors",
                     verdict(p99 is not None and p99 <= 25 and o["errors"] == 0 and o["achieved_rate"] >= 950, p99, 25), "submit"))
    d = parts.get("dispatch", {}).get("figures")
    if d:
        rows.append(("dispatch overhead", "queued → succeeded p50 ≤ 10 ms, p99 ≤ 50 ms at 200 jobs/s",
                     f"p50 {fmt(d['p50_ms'], 1)} ms, p99 {fmt(d['p99_ms'], 1)} ms at {fmt(d['achieved_rate'])}/s",
                     verdict(d["p50_ms"] <= 10 and d["p99_ms"] <= 50, d["p99_ms"], 50), "dispatch"))
    c = parts.get("cache", {}).get("figures")
    if c:
        hit = c["latency"]["cache hit"]
        rows.append(("cache hit", "submit → succeeded visible p50 ≤ 5 ms, api ≤ 500 requests since start",
                     f"p50 {fmt(hit['p50_ms'], 2)} ms (p99 {fmt(hit['p99_ms'], 1)} ms), "
                     f"{c['api_requests_until_measured_end']} requests since start",
                     verdict(hit["p50_ms"] <= 5 and hit["unexpected"] == 0
                             and c["api_requests_until_measured_end"] <= 500, hit["p50_ms"], 5), "cache"))
        f = c["single_flight"]
        rows.append(("single flight", "100 identical concurrent jobs → 1 upstream call",
                     f"{f['upstream_calls']} call(s) ({f['outcome']})",
                     verdict(f["upstream_calls"] == 1), "cache"))
    w = parts.get("worker", {}).get("figures")
    if w:
        rows.append(("worker throughput", "≥ 1,000 jobs/s through one worker, zero-latency provider",
                     f"{fmt(w['steady_jobs_per_s'])} jobs/s steady ({w['outcome']})",
                     verdict(w["steady_jobs_per_s"] >= 1000 and w["finished"], w["steady_jobs_per_s"], 1000, True), "worker"))
    st = parts.get("startup", {}).get("figures")
    if st:
        for module in ("api", "worker"):
            m = st[module]
            rows.append((f"start-up, {module}", "ready ≤ 3 s after its process starts",
                         f"{fmt(m['median_s'], 2)} s median ({fmt(m['min_s'], 2)}–{fmt(m['max_s'], 2)} s, 3 runs)",
                         verdict(m["max_s"] <= 3, m["max_s"], 3), "startup"))
    n = parts.get("notify", {}).get("figures")
    if n:
        sse, hook = n["latency"]["sse_ms"], n["latency"]["webhook_ms"]
        rows.append(("notification, SSE", "terminal status → SSE event p99 ≤ 20 ms",
                     f"p99 {fmt(sse.get('p99'), 1)} ms ({fmt(sse.get('n'))} of {n['latency']['jobs']} jobs)",
                     verdict(sse.get("p99") is not None and sse["p99"] <= 20 and sse["n"] == n["latency"]["jobs"], sse.get("p99"), 20), "notify"))
        rows.append(("notification, webhook", "terminal status → webhook received p99 ≤ 50 ms",
                     f"p99 {fmt(hook.get('p99'), 1)} ms ({fmt(hook.get('n'))} of {n['latency']['jobs']} jobs)",
                     verdict(hook.get("p99") is not None and hook["p99"] <= 50 and hook["n"] == n["latency"]["jobs"], hook.get("p99"), 50), "notify"))
        sc = n["scale"]
        rows.append(("SSE scale", "10,000 concurrent SSE subscribers on one api, ≤ 1 GiB RSS",
                     f"{fmt(sc['received_done'])} of {fmt(sc['subscribers'])} got `done`; api RSS peak {fmt(sc['api_rss_mib_peak'])} MiB",
                     verdict(sc["api_rss_mib_peak"] <= 1024 and sc["received_done"] >= 10000,
                             *((sc["api_rss_mib_peak"], 1024) if sc["api_rss_mib_peak"] > 1024
                               else (sc["received_done"], 10000, True))), "notify"))
    return rows


def ratio(a, b, digits=3):
    return f"{a / b:.{digits}f}" if a and b else "–"


def render(results):
    parts = results["parts"]
    lines = [BEGIN, "", "## Latest run (`./llmq bench`)", "",
             "Made by `./llmq bench` (bench/run.py); do not edit between the markers. Each part "
             "starts its own apps (packaged jars, prod profile, fresh JVMs with `-Xmx512m`, a database "
             "and queue of their own) against the shared local PostgreSQL, RabbitMQ and Redis. "
             "`./llmq bench <part>...` reruns some parts (limits, submit, dispatch, worker, cache, "
             "notify, startup) and keeps the others' figures; each part says when it ran, on which "
             "commit and at what load average (1 / 5 / 15 min, at its start and its end). Raw figures: "
             "[bench/results.json](bench/results.json).", ""]
    runs = sorted({(p["ran_at"], p["commit"], p["command"]) for p in parts.values()})
    machines = sorted({json.dumps({k: p["machine"][k] for k in ("cpu", "cores", "memory_gib")})
                       for p in parts.values()})
    for m in machines:
        m = json.loads(m)
        lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; "
                     f"{platform_line()}.")
    lines.append("")
    lines += ["| part | ran at (UTC) | commit | load average at start → end | took | command |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name in PARTS:
        p = parts.get(name)
        if p:
            load = " / ".join(str(x) for x in p["machine"]["load"])
            if p.get("load_after"):
                load += " → " + " / ".join(str(x) for x in p["load_after"])
            lines.append(f"| {name} | {p['ran_at']} | {p['commit']} | {load}"
                         f" | {p['seconds']:.0f} s | `{p['command']}` |")
    # The load average lags and counts the bench's own processes; the idle CPU in the seconds
    # before a part (its predecessors stopped) shows work that is not the benchmark's.
    busy = [name for name in PARTS if name in parts
            and parts[name]["machine"].get("idle_before", 1) < 0.8]
    lines += ["", "The load average lags by a minute and counts the benchmark's own processes; what "
              "shows other work on the machine is the idle CPU in the 3 s before each part: "
              + ", ".join(f"{name} {parts[name]['machine']['idle_before']:.0%}" for name in PARTS
                          if name in parts and "idle_before" in parts[name]["machine"]) + "."]
    if busy:
        lines += ["", f"**A busy machine:** less than 80 % of the CPU was idle before {', '.join(busy)}; "
                  "those parts' wall-clock figures include the other work. Compare builds by the "
                  "CPU per operation, or rerun on a quiet machine."]
    lines += ["", "### SPEC §6 bars", "", "| bar | target | measured | verdict |", "| --- | --- | --- | --- |"]
    for bar, target, measured, ok, _ in bars(parts):
        lines.append(f"| {bar} | {target} | {measured} | {ok} |")
    lines += ["", "Not run by `./llmq bench` (minutes each, or fault tests): governor goodput, "
              "cold-start governor and fair share (`bench/governor.sh`), budget race (`CostShieldIT`), "
              "no loss (`bench/no-loss.sh`), bad input (the test suite); their figures are in the "
              "sections below.", ""]

    lim = parts.get("limits", {}).get("figures")
    if lim:
        pg, pt, rd = lim["pgbench"], lim["perf_test"], lim["redis"]
        lines += ["### Machine limits (same run)", "", "| what | figure |", "| --- | --- |",
                  f"| PostgreSQL: `pgbench` one-row inserts (uuid, text, jsonb; 16 clients, 2 threads, 15 s, each its own commit) | "
                  f"{fmt(pg['tps'])} TPS (latency avg {pg['latency_avg_ms']} ms) |",
                  f"| RabbitMQ: `perf-test` {PERF_TEST_VERSION} confirmed publishes to a quorum queue (1 producer, 64 unconfirmed, 300 B, 15 s) | "
                  f"{fmt(pt['confirmed_msgs_per_s'])} msgs/s (confirm p50 {pt['confirm_p50_ms']} ms, p99 {pt['confirm_p99_ms']} ms) |"]
        for op in ("set", "get", "eval"):
            r = rd[op]
            lines.append(f"| Redis: `redis-benchmark` {op.upper()} (50 clients, 100,000 ops) | {fmt(r['ops_per_s'])} ops/s"
                         + (f" (p50 {r['p50_ms']} ms)" if r.get("p50_ms") is not None else "") + " |")
        lines.append("")
        s = parts.get("submit", {}).get("figures")
        d = parts.get("dispatch", {}).get("figures")
        w = parts.get("worker", {}).get("figures")
        lines += ["Ratios to the machine limits, to compare machines:", "",
                  "| llmq figure | ÷ limit | ratio |", "| --- | --- | --- |"]
        if s:
            lines.append(f"| submits/s, closed loop ({fmt(s['closed']['requests_per_s'])}) | pgbench TPS ({fmt(pg['tps'])}) | {ratio(s['closed']['requests_per_s'], pg['tps'])} |")
            lines.append(f"| submits/s, closed loop | perf-test msgs/s ({fmt(pt['confirmed_msgs_per_s'])}) | {ratio(s['closed']['requests_per_s'], pt['confirmed_msgs_per_s'])} |")
        if d:
            lines.append(f"| dispatched jobs/s ({fmt(d['achieved_rate'])}, offered 200) | perf-test msgs/s | {ratio(d['achieved_rate'], pt['confirmed_msgs_per_s'])} |")
        if w:
            lines.append(f"| worker jobs/s ({fmt(w['steady_jobs_per_s'])}) | pgbench TPS | {ratio(w['steady_jobs_per_s'], pg['tps'])} |")
            lines.append(f"| worker jobs/s | perf-test msgs/s | {ratio(w['steady_jobs_per_s'], pt['confirmed_msgs_per_s'])} |")
        lines.append("")

    s = parts.get("submit", {}).get("figures")
    w = parts.get("worker", {}).get("figures")
    if s or w:
        lines += ["### CPU cost per operation", "",
                  "CPU ms (utime + stime from /proc) per committed submit (the closed-loop run, api alone) "
                  "and per job to `succeeded` (the worker run, from the worker's readiness to the queue's end). "
                  "PostgreSQL is every `postgres` process, RabbitMQ `beam.smp`, Redis `redis-server`: "
                  "shared services, so other work on the machine during the run counts too.", "",
                  "| per | api | worker | PostgreSQL | RabbitMQ | Redis | total |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for label, fig in (("submit", s and s["closed"]["cpu_ms_per_submit"]), ("job", w and w["cpu_ms_per_job"])):
            if fig:
                cols = [fig.get(k) for k in ("api", "worker", "postgresql", "rabbitmq", "redis")]
                lines.append(f"| {label} | " + " | ".join(fmt(x, 3) if x is not None else "–" for x in cols)
                             + f" | {fmt(sum(x for x in cols if x), 3)} |")
        lines.append("")

    st = parts.get("startup", {}).get("figures")
    if s or w or st:
        lines += ["### Memory (VmRSS)", "", "| app | idle | under load |", "| --- | --- | --- |"]
        api_idle = st["api"]["rss_mib_idle"] if st else (s["api_rss_mib_idle"] if s else None)
        lines.append(f"| api | {fmt(api_idle)} MiB (3 s after ready) | {fmt(s['closed']['api_rss_mib_peak']) if s else '–'} MiB"
                     " (peak, closed-loop submits) |")
        lines.append(f"| worker | {fmt(st['worker']['rss_mib_idle']) if st else '–'} MiB (3 s after ready) | "
                     f"{fmt(w['worker_rss_mib_peak']) if w else '–'} MiB (peak, draining the queue) |")
        n = parts.get("notify", {}).get("figures")
        if n:
            sc = n["scale"]
            lines.append(f"| api, 10,000 SSE subscribers | {fmt(sc['api_rss_mib_before'])} MiB before | "
                         f"{fmt(sc['api_rss_mib_all_connected'])} MiB all connected, {fmt(sc['api_rss_mib_peak'])} MiB peak |")
        lines.append("")
    if st:
        lines += ["### Start-up", "", "Process start (just before the fork) → first 200 from `/q/health/ready`, "
                  "each app alone on a database whose schema exists; "
                  f"JVM options: {st.get('jvm_opts') or '(none)'}.", "",
                  "| app | min | median | max |", "| --- | --- | --- | --- |"]
        for module in ("api", "worker"):
            m = st[module]
            lines.append(f"| {module} | {m['min_s']:.2f} s | {m['median_s']:.2f} s | {m['max_s']:.2f} s |")
        lines.append("")

    lines += ["### Latencies", "", "| measure | n | p50 | p90 | p99 | max |", "| --- | --- | --- | --- | --- | --- |"]
    if s:
        o = s["open"]
        for label, key in (("submit, open loop at 1,000/s, from the scheduled send time", "latency_ms"),
                           ("submit, same run, from the actual send (service time)", "service_ms")):
            q = o[key]
            lines.append(f"| {label} | {fmt(q['n'])} | {ms(q['p50'])} | {ms(q['p90'])} | {ms(q['p99'])} | {ms(q['max'])} |")
        c = s["closed"]
        lines.append(f"| submit, closed loop (wrk, 64 connections) | {fmt(c['requests'])} | {ms(c['p50_ms'])} | {ms(c['p90_ms'])} | {ms(c['p99_ms'])} | {ms(c['max_ms'])} |")
    d = parts.get("dispatch", {}).get("figures")
    if d:
        lines.append(f"| dispatch, queued → succeeded (database clock) | {fmt(d['submitted'])} | {ms(d['p50_ms'])} | – | {ms(d['p99_ms'])} | {ms(d['max_ms'])} |")
        lines.append(f"| dispatch, queued → claimed | {fmt(d['submitted'])} | {ms(d['to_started_p50_ms'])} | – | {ms(d['to_started_p99_ms'])} | – |")
    c = parts.get("cache", {}).get("figures")
    if c:
        hit = c["latency"]["cache hit"]
        lines.append(f"| cache hit, submit → 200 `succeeded` (client) | {hit['jobs']} | {ms(hit['p50_ms'])} | – | {ms(hit['p99_ms'])} | – |")
    n = parts.get("notify", {}).get("figures")
    if n:
        for label, key in (("terminal commit → SSE `done`", "sse_ms"), ("terminal commit → webhook received", "webhook_ms")):
            q = n["latency"][key]
            if q:
                lines.append(f"| {label} | {q['n']} | {ms(q['p50'])} | {ms(q['p90'])} | {ms(q['p99'])} | {ms(q['max'])} |")
    lines.append("")
    if s or w:
        lines += ["### Throughput", "", "| measure | figure |", "| --- | --- |"]
        if s:
            o = s["open"]
            lines.append(f"| submits, closed loop, api alone | {fmt(s['closed']['requests_per_s'])}/s "
                         f"({fmt(s['closed']['jobs_committed'])} jobs committed in 20 s) |")
            lines.append(f"| submits, open loop offered 1,000/s | {fmt(o['achieved_rate'])}/s achieved, {fmt(o['ok'])} of {fmt(o['sent'])} accepted |")
        if w:
            lines.append(f"| one worker draining {fmt(w['jobs'])} queued jobs | {fmt(w['steady_jobs_per_s'])} jobs/s steady "
                         f"(10th–90th percentile of completions), {fmt(w['overall_jobs_per_s'])} overall, best second {fmt(w['peak_second'])} |")
        lines.append("")
    plots = [f for f in ("submit-latency.png", "submit-throughput.png", "worker-throughput.png",
                         "dispatch-latency.png", "cache-latency.png", "notify-latency.png")
             if os.path.exists(os.path.join(PLOTS, f))]
    if plots:
        lines += ["### Plots", ""] + [f"![{f[:-4]}](bench/{f})" for f in plots] + [""]
    lines.append(END)
    return "\n".join(lines)


def platform_line():
    try:
        pretty = [line.split("=", 1)[1].strip().strip('"') for line in open("/etc/os-release")
                  if line.startswith("PRETTY_NAME=")][0]
    except Exception:
        pretty = "unknown OS"
    java = subprocess.run([JAVA, "-version"], capture_output=True, text=True).stderr.splitlines()
    return f"{pretty}; {java[0] if java else 'java'}"


def write_markdown(results):
    path = os.path.join(DOCS, "benchmarks.md")
    with open(path) as f:
        text = f.read()
    section = render(results)
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:  # after the introduction, before the first section
        at = text.index("\n## ")
        text = text[:at] + "\n" + section + "\n" + text[at:]
    with open(path, "w") as f:
        f.write(text)


def plots():
    """Remakes the plots whose raw samples bench/out/raw holds (the others stay as they are)."""
    try:
        import matplotlib
    except ImportError:
        if not apt_install("python3-matplotlib", "for the plots"):
            log("WARNING: no matplotlib: plots skipped")
            return
        try:
            import matplotlib
        except ImportError:
            log("WARNING: no matplotlib: plots skipped")
            return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def raw(part):
        path = os.path.join(RAW, f"{part}.json")
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        return None

    def cdf(name, title, series, target=None):
        fig, ax = plt.subplots(figsize=(7, 4))
        for label, values in series:
            if values:
                v = sorted(values)
                ax.plot(v, [(i + 1) / len(v) for i in range(len(v))], label=f"{label} (n={len(v):,})")
        if target:
            for x, label in target:
                ax.axvline(x, linestyle="--", color="grey")
                ax.text(x, 0.02, " " + label, color="grey", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("ms (log scale)")
        ax.set_ylabel("fraction of requests ≤ x")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(PLOTS, name), dpi=90)
        plt.close(fig)

    def over_time(name, title, series, ylabel, target=None):
        fig, ax = plt.subplots(figsize=(7, 4))
        for label, values in series:
            if values:
                ax.plot(range(len(values)), values, marker=".", label=label)
        if target:
            ax.axhline(target[0], linestyle="--", color="grey", label=target[1])
        ax.set_xlabel("second of the run")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(PLOTS, name), dpi=90)
        plt.close(fig)

    os.makedirs(PLOTS, exist_ok=True)
    s = raw("submit")
    if s:
        cdf("submit-latency.png", "Submit latency, open loop at 1,000/s (from the scheduled send)",
            [("POST /v1/jobs", s["open_latency_ms"])], [(25, "p99 bar 25 ms")])
        over_time("submit-throughput.png", "Submits per second (api alone)",
                  [("closed loop, wrk 64 connections (jobs committed)", s["closed_per_second"]),
                   ("open loop, 1,000/s offered (answers)", s["open_per_second"])], "submits/s",
                  (2000, "bar 2,000/s"))
    w = raw("worker")
    if w:
        over_time("worker-throughput.png", "One worker: jobs to succeeded per second",
                  [("jobs/s (completed_at)", w["worker_per_second"])], "jobs/s", (1000, "bar 1,000/s"))
    d = raw("dispatch")
    if d:
        cdf("dispatch-latency.png", "Dispatch, queued → succeeded at 200 jobs/s",
            [("created_at → completed_at", d["dispatch_ms"])], [(10, "p50 bar"), (50, "p99 bar")])
    c = raw("cache")
    if c:
        cdf("cache-latency.png", "Cache hit, submit → 200 succeeded (client)",
            [("cache hit", c["cache_hit_ms"])], [(5, "p50 bar 5 ms")])
    n = raw("notify")
    if n:
        cdf("notify-latency.png", "Terminal commit → notification",
            [("SSE done", n["sse_ms"]), ("webhook received", n["webhook_ms"])],
            [(20, "SSE p99 bar"), (50, "webhook p99 bar")])


def interrupted(*_):
    raise KeyboardInterrupt


RUNNERS = {"limits": part_limits, "submit": part_submit, "dispatch": part_dispatch,
           "worker": part_worker, "cache": part_cache, "notify": part_notify, "startup": part_startup}


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return
    os.makedirs(RAW, exist_ok=True)
    os.makedirs(PLOTS, exist_ok=True)
    results = load_results()
    if args == ["--render"]:
        plots()
        write_markdown(results)
        return
    unknown = [a for a in args if a not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; the parts: {' '.join(PARTS)}")
    chosen = [p for p in PARTS if p in args] if args else PARTS
    for tool in ("psql", "node", "pgbench", "redis-benchmark", "rabbitmqctl"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            raise SystemExit(f"bench needs {tool} on the PATH")
    if "submit" in chosen and subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        if not apt_install("wrk", "for the closed-loop submit benchmark"):
            raise SystemExit("bench needs wrk")
    # SIGTERM as Ctrl-C: every part's `finally` stops its processes and drops what it made.
    signal.signal(signal.SIGTERM, interrupted)
    command = "./llmq bench" + ("" if not args else " " + " ".join(chosen))
    started = time.time()
    failed = []
    for name in chosen:
        idle = idle_share(3)
        log(f"part {name}: load average {os.getloadavg()[0]:.2f}, {idle:.0%} idle in the 3 s before it")
        began = time.time()
        machine = benchlib.machine()
        machine["idle_before"] = round(idle, 3)
        figures = None
        for attempt in (1, 2):
            try:
                figures, raw = RUNNERS[name]()
                break
            except KeyboardInterrupt:
                log(f"part {name}: interrupted; cleaned up")
                raise
            except (Exception, SystemExit) as e:  # benchlib.wait_ready raises SystemExit
                # A shared PostgreSQL out of connections fails an app's start now and then: one
                # more try, then the other parts still run.
                where = traceback.extract_tb(e.__traceback__)[-1]
                log(f"part {name} FAILED (attempt {attempt}): {type(e).__name__}: {e}"
                    f" ({os.path.basename(where.filename)}:{where.lineno})")
                if attempt == 1:
                    time.sleep(10)
        if figures is None:
            failed.append(name)
            continue
        results["parts"][name] = {
            "figures": figures, "machine": machine, "commit": git_commit(), "command": command,
            "ran_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime(began)),
            "seconds": round(time.time() - began, 1),
            "load_after": [round(x, 2) for x in os.getloadavg()]}
        with open(os.path.join(RAW, f"{name}.json"), "w") as f:
            json.dump(raw, f)
        with open(RESULTS, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
        log(f"part {name}: done in {time.time() - began:.0f} s")
    plots()
    write_markdown(results)
    log(f"finished in {time.time() - started:.0f} s; docs/benchmarks.md and docs/bench/ written")
    for bar, target, measured, ok, part in bars(results["parts"]):
        if part in chosen:
            print(f"  {bar}: {measured} — {ok.replace('**', '')}")
    if failed:
        raise SystemExit(f"failed parts: {' '.join(failed)} (see bench/out/*.log)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("bench: interrupted; the apps it started are stopped, their databases and queues"
              " removed, and the stored figures unchanged", file=sys.stderr)
        sys.exit(130)
