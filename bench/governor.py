#!/usr/bin/env python3
"""Governor benchmark: goodput, 429s from a fresh start, fair shares between two tenants, and how
good the queue-position estimates are, against a rate-limited provider.

Starts the simulator as the upstream with a tokens-per-minute and requests-per-minute limit
(admission counting a prompt as OpenAI's limiter does: ceil(characters / 4) + 3 per message,
plus `max_tokens`), the api and N worker processes whose provider for `gpt-4o-mini` points at it
with the same limits configured. The provider's name is new on every run (`benchgov<random>`), so
the governor's buckets and waiting room in Redis start empty without touching anyone else's keys
(they are deleted at the end). Then, on a fresh database and queue, with a mixed workload (prompts
of 20-2,000 characters, max_tokens 50-800):

1. Tenant A floods: `--flood` minutes of the limit (in what the limiter charges at admission; 12,
   or 24 in `on-usage`, whose calls give about half of it back), submitted at once. Its backlog
   should last the whole run (a share measured after A ran out says so).
2. At `--late-at` seconds tenant B arrives with a burst of `--burst` minutes of the limit: while
   both wait, their token shares should be equal (equal weights).
3. When B's burst has started, B sends a trickle for `--trickle` seconds at `--trickle-share` of
   the limit, below its fair share: each of its jobs arrives at an idle tenant and should start
   within its own fair share of the limit (its tokens / half the limit), not behind A's backlog.
4. B's `share_weight` is set to `--weight` through the admin API (`limits.share_weight`) and B
   sends a second burst: its share should be weight / (weight + 1).

Meanwhile a poller reads `GET /v1/jobs/{id}` every `--poll` seconds for every B job and a sample
of A's, and records `queue.estimated_start_at`; each estimate is compared with the job's actual
`started_at`. It reports:

- 429s in the first 60 s from the start (the flood's first minute), and the 429 share of the run;
- goodput as SPEC defines it: tokens the limiter admitted (for successful calls: no call fails
  here but by 429, which is not admitted) per minute over the steady window (from 60 s to the
  end), divided by what it could have admitted: the limit times the window plus what its bucket
  held when the window opened (read with a 5-token probe call, which is left out of every count);
  beside it the billed tokens (prompt + completion) ÷ the limit;
- per phase, the token shares of A and B (what the limiter charged for the calls that started)
  over the window where both had work waiting (from B's submit to the start of B's last job of
  the phase, or of A's last job if A ran out first), and B's queue wait (created -> started)
  p50/p99; for the trickle, beside it, each job's own fair share: its tokens at half the limit;
- the estimates' error, estimated - actual start: p50 and p90 of its size and its mean (bias;
  negative: the job started later than estimated), for each job's first estimate (A's and B's
  apart), for every estimate read, and for the first estimate net of the work that arrived after
  it and started before the job (at the limit's rate), which no estimate can foresee.

Each run's raw data (jobs, estimates, queued counts) goes to bench/out/governor-<mode>.json;
`--report FILE...` works the figures out again from such files without running anything.

Modes (`--mode`, default `on`): `on` -- the governor on, the simulator keeping the whole
`max_tokens` charge, as OpenAI does; `on-usage` -- the simulator gives back the unused output when
a call completes (as Anthropic's output limit does) and the worker settles on usage
(`charges-max-tokens=false`); `off` -- the governor off, retries only, against the simulator of
`on` (no estimates then); `all` -- each in turn, each on a fresh start.

Run: bench/governor.sh [--mode on] [--tpm 20000] [--rpm 1000] [--workers 2] [...]; see --help.
The default run takes about 11 minutes after the build.
Only loopback addresses are used; every loop is bounded in count and time.
"""
import argparse
import concurrent.futures
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    OUT, drive, free_port, http, isolated_env, launch, machine, percentile, psql, stop, tenant,
    wait_ready)

DB = "llmq_bench_governor"
ADMIN = "bench-admin"
SIM_KEY = "bench-key"
WORDS = ("the queue holds every job until a worker takes it and runs the call model answers with "
         "tokens that arrive one by one while limits keep provider calm").split()
FIRST_MINUTE = 60.0
PROBE = {"model": "gpt-4o-mini", "max_tokens": 1, "messages": [{"role": "user", "content": "p"}]}
PROBE_CHARGE = 1 + 3 + 1  # ceil(1 / 4) + 3 per message, plus max_tokens


def charge(body):
    """What the simulator's limiter (`limiter_count: characters`) charges for a job's call."""
    request = body["request"]
    prompt = sum(math.ceil(len(m["content"]) / 4) + 3 for m in request["messages"])
    return prompt + request["max_tokens"]


def workload(label, rng, tokens=None, count=None):
    """Mixed jobs, each prompt unique: `count` of them, or as many as make the limiter's charges
    add up to `tokens`."""
    bodies, total = [], 0
    while (total < tokens) if count is None else (len(bodies) < count):
        chars = rng.randint(20, 2000)
        words, length = [], 0
        while length < chars:
            word = rng.choice(WORDS)
            words.append(word)
            length += len(word) + 1
        prompt = f"{label} {len(bodies)}: " + " ".join(words)[:chars]
        body = {"request": {"model": "gpt-4o-mini", "max_tokens": rng.randint(50, 800),
                            "messages": [{"role": "user", "content": prompt}]}}
        bodies.append(body)
        total += charge(body)
    return bodies


def epoch(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Poller:
    """Reads tracked queued jobs every `every` seconds: their `queue.estimated_start_at` (each read
    as (read at, estimate, position)), the queued count of each tenant, the load average."""

    def __init__(self, base, every):
        self.base = base
        self.every = every
        self.tracked = {}
        self.estimates = {}
        self.queued = []
        self.load = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def track(self, ids, key):
        with self.lock:
            for job in ids:
                self.tracked[job] = key

    def read(self, job, key):
        try:
            view = http("GET", f"{self.base}/v1/jobs/{job}", None,
                        {"Authorization": "Bearer " + key}, timeout=10)
        except Exception:
            return True
        if view["status"] != "queued":
            return False
        queue = view.get("queue") or {}
        if queue.get("estimated_start_at"):
            with self.lock:
                self.estimates.setdefault(job, []).append(
                    (time.time(), epoch(queue["estimated_start_at"]), queue.get("position")))
        return True

    def loop(self):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            while not self.done.wait(self.every):
                with self.lock:
                    jobs = list(self.tracked.items())
                still = list(pool.map(lambda item: self.read(*item), jobs))
                with self.lock:
                    for (job, _), waiting in zip(jobs, still):
                        if not waiting:
                            self.tracked.pop(job, None)
                counts = psql("SELECT string_agg(tenant_id || '=' || n, ' ') FROM (SELECT tenant_id,"
                              " count(*) n FROM jobs WHERE status = 'queued' GROUP BY tenant_id) s", DB)
                self.queued.append((time.time(), dict(
                    pair.split("=") for pair in counts.split()) if counts else {}))
                self.load.append(os.getloadavg()[0])

    def start(self):
        self.thread.start()

    def stop(self):
        self.done.set()
        self.thread.join(timeout=60)


def probe(sim_port):
    """What the simulator's token bucket holds now: a 5-token call's remaining-tokens header plus
    its own charge (0 when it is refused)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{sim_port}/v1/chat/completions", data=json.dumps(PROBE).encode(),
        method="POST", headers={"Authorization": "Bearer " + SIM_KEY,
                                "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.headers["x-ratelimit-remaining-tokens"]) + PROBE_CHARGE, False
    except urllib.error.HTTPError as refused:
        if refused.code == 429:
            return 0, True
        raise


def wait_started(ids, seconds):
    """Waits, at most `seconds`, until every job in ids has started; answers whether they did."""
    quoted = ",".join(f"'{job}'" for job in ids)
    deadline = time.time() + seconds
    while time.time() < deadline:
        if psql(f"SELECT count(*) FROM jobs WHERE id IN ({quoted}) AND started_at IS NULL", DB) == "0":
            return True
        time.sleep(2)
    return False


def spread(values):
    """p50 and p99 of values (nearest rank), or None when there are none."""
    if not values:
        return None, None
    return round(percentile(values, 50), 2), round(percentile(values, 99), 2)


def errors(pairs):
    """Estimate errors (estimated - actual, s): count, p50 and p90 of |error|, mean and median."""
    if not pairs:
        return {"n": 0}
    signed = [estimate - actual for estimate, actual in pairs]
    size = [abs(e) for e in signed]
    return {"n": len(signed), "p50_abs_s": round(percentile(size, 50), 2),
            "p90_abs_s": round(percentile(size, 90), 2), "bias_mean_s": round(statistics.mean(signed), 2),
            "bias_median_s": round(statistics.median(signed), 2)}


def run(mode, args, java):
    governed = mode != "off"
    refunds = mode == "on-usage"
    provider = "benchgov" + uuid.uuid4().hex[:8]
    env = isolated_env(DB, ADMIN)
    sim_port, api_port = free_port(), free_port()
    env.update({
        "LLMQ_GOVERNOR_ENABLED": "true" if governed else "false",
        "QUARKUS_LOG_CATEGORY__IO_LLMQ_WORKER_GOVERNOR__LEVEL": "DEBUG",
        "LLMQ_SIMULATOR_PORT": str(sim_port), "LLMQ_SIMULATOR_TOKENS_PER_MINUTE": str(args.tpm),
        "LLMQ_SIMULATOR_REQUESTS_PER_MINUTE": str(args.rpm),
        "LLMQ_SIMULATOR_REFUND_UNUSED": "true" if refunds else "false",
        "LLMQ_SIMULATOR_LIMITER_COUNT": "characters",
    })
    flags = [f"-Dllmq.providers.{provider}.kind=openai",
             f"-Dllmq.providers.{provider}.base-url=http://127.0.0.1:{sim_port}/v1",
             f"-Dllmq.providers.{provider}.api-key={SIM_KEY}",
             f"-Dllmq.providers.{provider}.tokens-per-minute={args.tpm}",
             f"-Dllmq.providers.{provider}.requests-per-minute={args.rpm}",
             f"-Dllmq.providers.{provider}.charges-max-tokens={'false' if refunds else 'true'}",
             f"-Dllmq.models.gpt-4o-mini.provider={provider}"]
    rng = random.Random(42)
    flood_minutes = args.flood if args.flood is not None else (24 if refunds else 12)
    flood = workload("flood", rng, flood_minutes * args.tpm)
    burst = workload("late", rng, args.burst * args.tpm)
    mean = sum(charge(body) for body in flood) / len(flood)
    trickle = workload("trickle", rng, count=max(1, round(
        args.trickle * args.trickle_share * args.tpm / 60 / mean)))
    weighted = workload("weighted", rng, args.burst * args.tpm)
    processes = []
    poller = None
    before = machine()
    try:
        sim = launch(processes, java, "simulator", "simulator", env, flags)
        wait_ready(f"http://127.0.0.1:{sim_port}/stats", sim)
        api = launch(processes, java, "api", "api", {**env, "LLMQ_API_PORT": str(api_port)}, flags)
        for i in range(args.workers):
            port = free_port()
            worker = launch(processes, java, "worker", f"worker-{i + 1}",
                            {**env, "LLMQ_WORKER_PORT": str(port)}, flags)
            wait_ready(f"http://127.0.0.1:{port}/q/health/ready", worker)
        wait_ready(f"http://127.0.0.1:{api_port}/q/health/ready", api)
        base = f"http://127.0.0.1:{api_port}"
        a_id, a_key = tenant(base, ADMIN, "flood")
        b_id, b_key = tenant(base, ADMIN, "late")
        admin = {"Authorization": "Bearer " + ADMIN}
        stats = {}

        def sample(label):
            stats[label] = (time.time(), http("GET", f"http://127.0.0.1:{sim_port}/stats"))

        poller = Poller(base, args.poll)
        poller.start()
        phases = {}
        sample("start")
        t0 = time.time()

        def submit(label, jobs, key, seconds):
            at = time.time()
            ids, _, _, failed, _ = drive(api_port, {"Authorization": "Bearer " + key},
                                         len(jobs) / seconds, seconds, lambda slot: jobs[slot])
            phases[label] = {"at": at, "ids": ids, "submit_errors": failed}
            return ids

        # A's flood; its jobs are read by the poller, a sample of about 100 of them.
        flood_ids = submit("flood", flood, a_key, 5)
        poller.track(flood_ids[::max(1, len(flood_ids) // 100)], a_key)
        time.sleep(max(0.0, t0 + FIRST_MINUTE - time.time()))
        sample("first_minute")
        level, refused = probe(sim_port)
        probes = {"calls": 1, "refused": 1 if refused else 0}
        window_level = level
        time.sleep(max(0.0, t0 + args.late_at - time.time()))

        def burst_phase(label, jobs, share):
            ids = submit(label, jobs, b_key, 2)
            poller.track(ids, b_key)
            expected = sum(charge(j) for j in jobs) / (args.tpm * share) * 60
            phases[label]["all_started"] = wait_started(ids, 3 * expected + 120)
            phases[label]["share_target"] = share

        burst_phase("burst", burst, 0.5)
        at = time.time()
        ids, _, _, failed, _ = drive(api_port, {"Authorization": "Bearer " + b_key},
                                     len(trickle) / args.trickle, args.trickle,
                                     lambda slot: trickle[slot], senders=4)
        phases["trickle"] = {"at": at, "ids": ids, "submit_errors": failed,
                             "all_started": wait_started(ids, 120)}
        if args.weight and args.weight != 1:
            http("PATCH", f"{base}/v1/admin/tenants/{b_id}", {"limits": {"share_weight": args.weight}},
                 admin)
            time.sleep(2)  # a tenant's change reaches every replica within 1 s
            burst_phase("weighted", weighted, args.weight / (args.weight + 1))
        sample("end")
        poller.stop()
        return report(mode, args, provider, stats, phases, poller, probes, window_level,
                      before, a_id, b_id)
    finally:
        if poller:
            poller.stop()
        stop(processes)
        forget(provider)


def forget(provider):
    """Deletes this run's governor keys (its provider name is its own) and its waiting jobs' entries
    in the room's shared job index."""
    keys = subprocess.run(["redis-cli", "-h", "127.0.0.1", "--scan", "--pattern", f"llmq:*{provider}*"],
                          capture_output=True, text=True).stdout.split()
    for i in range(0, len(keys), 200):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "del", *keys[i:i + 200]], capture_output=True)
    try:
        queued = psql("SELECT string_agg(id::text, ' ') FROM jobs WHERE status = 'queued'", DB).split()
    except subprocess.CalledProcessError:
        queued = []
    for i in range(0, len(queued), 200):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "hdel", "llmq:room:where", *queued[i:i + 200]],
                       capture_output=True)


def report(mode, args, provider, stats, phases, poller, probes, window_level, before, a_id, b_id):
    rows = psql(
        "SELECT id, tenant_id, status, extract(epoch FROM created_at), coalesce(extract(epoch FROM"
        " started_at), -1), coalesce((SELECT sum(ceil(length(m->>'content') / 4.0) + 3) FROM"
        " jsonb_array_elements(request->'messages') m) + (request->>'max_tokens')::int, 0),"
        " coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) FROM jobs", DB)
    jobs = {}
    for line in rows.splitlines():
        job, tenant_id, status, created, started, limiter, billed = line.split("|")
        jobs[job] = {"tenant": tenant_id, "status": status, "created": float(created),
                     "started": None if float(started) < 0 else float(started),
                     "charge": int(float(limiter)), "billed": int(billed)}

    (ts, s0), (t1, s1), (t2, s2) = stats["start"], stats["first_minute"], stats["end"]
    window_minutes = (t2 - t1) / 60
    admitted = s2["tokens_charged"] - s1["tokens_charged"] - probes["calls"] * PROBE_CHARGE + (
        PROBE_CHARGE if probes["refused"] else 0)
    billed = (s2["prompt_tokens"] + s2["completion_tokens"]) - (s1["prompt_tokens"] + s1["completion_tokens"])
    calls = s2["requests"] - s0["requests"] - probes["calls"]
    limited = s2["rate_limited"] - s0["rate_limited"] - probes["refused"]
    result = {
        "mode": mode, "provider": provider, "workers": args.workers, "tpm": args.tpm, "rpm": args.rpm,
        "limiter_count": "characters",
        "first_minute_429": s1["rate_limited"] - s0["rate_limited"],
        "first_minute_calls": s1["requests"] - s0["requests"],
        "upstream_calls": calls, "share_429": limited / calls if calls else 0, "calls_429": limited,
        "window_minutes": round(window_minutes, 2), "bucket_at_window": window_level,
        "goodput": admitted / (args.tpm * window_minutes + window_level),
        "billed_share": billed / (args.tpm * window_minutes),
        "admitted_per_minute": round(admitted / window_minutes),
        "billed_per_minute": round(billed / window_minutes),
        "jobs": psql("SELECT string_agg(status || '=' || n, ' ') FROM"
                     " (SELECT status, count(*) n FROM jobs GROUP BY status ORDER BY status) s", DB),
        "submit_errors": sum(p["submit_errors"] for p in phases.values()),
        "flood_jobs": len(phases["flood"]["ids"]),
    }
    result.update(phase_figures(jobs, phases, poller.queued, args.tpm, a_id, b_id))
    result.update(estimate_errors(jobs, poller.estimates, args.tpm, a_id, b_id))
    result["machine"] = before
    result["load_during"] = {"mean": round(statistics.mean(poller.load), 2) if poller.load else None,
                             "max": round(max(poller.load), 2) if poller.load else None}
    result["limited_at_s"] = limited_at(ts)
    with open(os.path.join(OUT, f"governor-{mode}.json"), "w") as raw:
        json.dump({"result": result, "t0": ts, "tenants": [a_id, b_id], "phases": phases,
                   "jobs": jobs, "estimates": poller.estimates, "queued": poller.queued}, raw)
    return result


def phase_figures(jobs, phases, queued, tpm, a_id, b_id):
    """B's waits in each phase and, for its bursts, the tenants' token shares over the window
    where both had work waiting: from B's submit until B's last job of the burst started, or A's
    last job did, if A ran out first (`a_ran_out`)."""
    figures = {}
    a_jobs = [j for j in jobs.values() if j["tenant"] == a_id]
    a_until = max((math.inf if j["started"] is None else j["started"]) for j in a_jobs)
    for label in ("burst", "trickle", "weighted"):
        phase = phases.get(label)
        if not phase:
            continue
        own = [jobs[j] for j in phase["ids"] if j in jobs]
        started = [j["started"] for j in own if j["started"] is not None]
        waits = [j["started"] - j["created"] for j in own if j["started"] is not None]
        entry = {"jobs": len(own), "all_started": phase["all_started"],
                 "wait_p50_s": spread(waits)[0], "wait_p99_s": spread(waits)[1]}
        if label == "trickle" and own:
            # Its fair share: the job's tokens at half the limit (equal weights).
            fair = [j["charge"] / (tpm / 2) * 60 for j in own]
            entry["fair_share_wait_p50_s"] = spread(fair)[0]
            entry["fair_share_wait_p99_s"] = spread(fair)[1]
        if label != "trickle" and started:
            start, end = phase["at"], min(max(started), a_until)
            inside = [j for j in jobs.values() if j["started"] is not None and start <= j["started"] <= end]
            a = sum(j["charge"] for j in inside if j["tenant"] == a_id)
            b = sum(j["charge"] for j in inside if j["tenant"] == b_id)
            polls = [q for at, q in queued if start <= at <= end]
            entry.update({"window_s": round(end - start, 1), "a_ran_out": a_until < max(started),
                          "a_tokens": a, "b_tokens": b,
                          "b_share": round(b / (a + b), 3) if a + b else None,
                          "b_share_target": round(phase["share_target"], 3),
                          "polls_both_waiting": "{}/{}".format(
                              sum(1 for q in polls if a_id in q and b_id in q), len(polls)),
                          "a_jobs": sum(1 for j in inside if j["tenant"] == a_id),
                          "b_jobs": sum(1 for j in inside if j["tenant"] == b_id)})
        figures[label] = entry
    return figures


def again(path, tpm):
    """The figures of a saved run (bench/out/governor-<mode>.json) worked out again from its raw
    data: the phases and estimates as this version computes them, the rest as recorded."""
    with open(path) as raw:
        saved = json.load(raw)
    result = saved["result"]
    if "tenants" in saved:
        a_id, b_id = saved["tenants"]
    else:
        a_id = saved["jobs"][saved["phases"]["flood"]["ids"][0]]["tenant"]
        b_id = saved["jobs"][saved["phases"]["burst"]["ids"][0]]["tenant"]
    queued = [(at, q) for at, q in saved["queued"]]
    estimates = {job: [tuple(read) for read in reads] for job, reads in saved["estimates"].items()}
    result.update(phase_figures(saved["jobs"], saved["phases"], queued, tpm, a_id, b_id))
    result.update(estimate_errors(saved["jobs"], estimates, tpm, a_id, b_id))
    return result


def limited_at(start):
    """When the simulator answered 429, in seconds since the run's start, from its log."""
    times = []
    with open(os.path.join(OUT, "simulator.log")) as log:
        for line in log:
            if " 429 for " in line:
                stamp = time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S"))
                times.append(round(stamp + int(line[20:23]) / 1000 - start, 1))
    return times


def estimate_errors(jobs, estimates, tpm, a_id, b_id):
    """The queue estimates' errors (see `errors`): each job's first estimate, every estimate read,
    the first by tenant; and the first again net of the work that arrived after it was made and
    started before the job (tokens of jobs created after the read, at the limit's rate), which no
    estimate can foresee: what is left is the estimate's own error."""
    started = sorted((row["started"], row["created"], row["charge"]) for row in jobs.values()
                     if row["started"] is not None)
    first, every, net, by_tenant, leads = [], [], [], {a_id: [], b_id: []}, []
    for job, reads in estimates.items():
        row = jobs.get(job)
        if not row or row["started"] is None:
            continue
        read_at, estimate, _ = reads[0]
        first.append((estimate, row["started"]))
        by_tenant.setdefault(row["tenant"], []).append((estimate, row["started"]))
        leads.append(row["started"] - read_at)
        every.extend((later, row["started"]) for _, later, _ in reads)
        unforeseen = sum(tokens for at, created, tokens in started
                         if created > read_at and read_at <= at < row["started"])
        net.append((estimate + unforeseen * 60 / tpm, row["started"]))
    return {"estimate_first": errors(first), "estimate_every": errors(every),
            "estimate_first_a": errors(by_tenant[a_id]), "estimate_first_b": errors(by_tenant[b_id]),
            "estimate_first_net_of_arrivals": errors(net),
            "estimate_lead_p50_s": spread(leads)[0],
            "estimated_not_started": sum(1 for job in estimates
                                         if jobs.get(job, {}).get("started") is None)}


def table(results):
    def est(e):
        return (f"{e['p50_abs_s']} s / {e['p90_abs_s']} s ({e['bias_mean_s']:+} s), n={e['n']}"
                if e.get("n") else "none")

    def share(phase):
        if not phase:
            return "-"
        return (f"{phase.get('b_share')} (target {phase.get('b_share_target')}, {phase.get('window_s')} s"
                f"{', A ran out' if phase.get('a_ran_out') else ''})")

    print()
    print("| mode | 429 in first 60 s | 429 share (run) | goodput (SPEC) | billed ÷ limit | jobs at the end |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['mode']} | {r['first_minute_429']} of {r['first_minute_calls']}"
              f" | {r['share_429']:.4f} ({r['calls_429']} of {r['upstream_calls']})"
              f" | {r['goodput']:.3f} | {r['billed_share']:.3f} | {r['jobs']} |")
    print()
    print("| mode | B's token share, equal weights | B's share, its weight raised | B's burst wait p50 / p99"
          " | B's trickle wait p50 / p99 (its fair share p50 / p99) |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        burst, trickle = r.get("burst", {}), r.get("trickle", {})
        print(f"| {r['mode']} | {share(burst)} | {share(r.get('weighted'))}"
              f" | {burst.get('wait_p50_s')} s / {burst.get('wait_p99_s')} s"
              f" | {trickle.get('wait_p50_s')} s / {trickle.get('wait_p99_s')} s"
              f" ({trickle.get('fair_share_wait_p50_s')} s / {trickle.get('fair_share_wait_p99_s')} s) |")
    print()
    print("| mode | estimate error p50 / p90 of size (mean), first estimate: A | B | every estimate read"
          " | first, net of later arrivals |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['mode']} | {est(r['estimate_first_a'])} | {est(r['estimate_first_b'])}"
              f" | {est(r['estimate_every'])} | {est(r['estimate_first_net_of_arrivals'])} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="on", choices=("on", "on-usage", "off", "all"))
    parser.add_argument("--tpm", type=int, default=20000, help="tokens per minute (20,000)")
    parser.add_argument("--rpm", type=int, default=1000, help="requests per minute (1,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--flood", type=float,
                        help="A's flood at the start, in minutes of the limit at admission (12; 24"
                             " for on-usage, whose calls give back about half)")
    parser.add_argument("--late-at", type=float, default=120, help="when B arrives, s (120)")
    parser.add_argument("--burst", type=float, default=1.5,
                        help="each of B's bursts, in minutes of the limit (1.5)")
    parser.add_argument("--trickle", type=float, default=180, help="B's trickle, s (180)")
    parser.add_argument("--trickle-share", type=float, default=0.25,
                        help="B's trickle, as a share of the limit (0.25)")
    parser.add_argument("--weight", type=float, default=3,
                        help="B's share_weight for its second burst (3; 1 skips it)")
    parser.add_argument("--poll", type=float, default=3, help="s between reads of queued jobs (3)")
    parser.add_argument("--report", metavar="RAW", nargs="+",
                        help="only work the figures out again from saved runs (bench/out/governor-*.json)")
    args = parser.parse_args()
    if args.report:
        table([again(path, args.tpm) for path in args.report])
        return
    modes = ("on", "on-usage", "off") if args.mode == "all" else (args.mode,)
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    results = []
    for mode in modes:
        result = run(mode, args, java)
        print(json.dumps(result), flush=True)
        results.append(result)
    table(results)


if __name__ == "__main__":
    main()
