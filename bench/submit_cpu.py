"""CPU per durable submit: starts the api alone (no worker: jobs stay queued, every message is
still published and confirmed) from a built quarkus-app directory, on a database, queue and port
of its own, drives POST /v1/jobs with wrk, and reports submits/s, wrk's latency percentiles and the
CPU time (utime + stime from /proc) each process spent per submit during the measured run: the api
JVM, the PostgreSQL backends serving this run's database, and the shared Redis and RabbitMQ
servers (shared with anything else on the machine: an upper bound on a busy one). With --rate,
it then submits open loop at that rate (bench/openloop.js, node) and reports those latencies
too, measured from each submit's scheduled time.

    python3 bench/submit_cpu.py [--app api/target/quarkus-app] [--seconds 20] [--connections 32]
                                [--jfr out.jfr] [--label name] [--rate 1000]

Taking turns between two builds' app directories (copy one aside before rebuilding) compares
them on a shared machine better than wall-clock figures do."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    OUT, free_port, http, isolated_env, machine, percentile, psql, tenant_key, wait_ready)

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / TICK
    except OSError:
        return 0.0


def pids_of(name):
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def backends(db):
    out = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}'", "postgres")
    return [int(p) for p in out.split()]


def wrk(port, key, seconds, connections, latency=True):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(f"""
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = '{{"request":{{"model":"llmq-sim","messages":[{{"role":"user","content":"benchmark ' .. counter .. ' [[sim delay_ms=0]]"}}]}}}}'
  return wrk.format(nil, "/v1/jobs", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("errors: %d %d\\n", summary.errors.status, summary.errors.timeout))
end
""")
    script.close()
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name]
    if latency:
        args.insert(1, "--latency")
    out = subprocess.run(args + [f"http://127.0.0.1:{port}"], capture_output=True, text=True).stdout
    os.unlink(script.name)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", default="api/target/quarkus-app")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--jfr")
    parser.add_argument("--label", default="run")
    parser.add_argument("--rate", type=int, default=0,
                        help="then submit open loop at this rate for --seconds (bench/openloop.js)"
                        " and report its latencies")
    args = parser.parse_args()
    db = "llmq_submit_cpu_" + re.sub(r"\W", "_", args.label)
    env = isolated_env(db)
    port = free_port()
    env["LLMQ_API_PORT"] = str(port)
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin",
                        "java")
    log = open(f"/tmp/submit-cpu-{args.label}.log", "w")
    api = subprocess.Popen([java, "-Xmx512m", "-jar", os.path.join(args.app, "quarkus-run.jar")],
                           env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/q/health/ready", api)
        base = f"http://127.0.0.1:{port}"
        key = tenant_key(base, "bench-admin")
        wrk(port, key, 10, args.connections, latency=False)
        if args.jfr:
            subprocess.run(["jcmd", str(api.pid), "JFR.start", "settings=profile",
                            f"duration={args.seconds}s", f"filename={args.jfr}"],
                           capture_output=True)
        pg = backends(db)
        shared = {"redis": pids_of("redis-server"), "rabbitmq": pids_of("beam.smp")}
        before = {"api": cpu_ms(api.pid), "postgres": sum(cpu_ms(p) for p in pg),
                  **{k: sum(cpu_ms(p) for p in v) for k, v in shared.items()}}
        load_before = os.getloadavg()
        out = wrk(port, key, args.seconds, args.connections)
        after = {"api": cpu_ms(api.pid),
                 "postgres": sum(cpu_ms(p) for p in set(pg) | set(backends(db))),
                 **{k: sum(cpu_ms(p) for p in v) for k, v in shared.items()}}
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        latency = dict(re.findall(r"\s+(50|90|99)%\s+(\S+)", out))
        result = {
            "label": args.label, "submits": requests, "submits_per_s": rate,
            "p50": latency.get("50"), "p99": latency.get("99"),
            "errors": re.search(r"errors: (.*)", out).group(1),
            "cpu_ms_per_submit": {k: round((after[k] - before[k]) / requests, 3) for k in after},
            "load_before": [round(x, 2) for x in load_before], "machine": machine()}
        if args.rate:
            here = os.path.dirname(os.path.abspath(__file__))
            os.makedirs(OUT, exist_ok=True)
            out_file = os.path.join(OUT, f"submit-cpu-{args.label}-open.json")
            subprocess.run(["node", os.path.join(here, "openloop.js"), "open", str(port), key,
                            out_file, str(args.rate), str(args.seconds)], check=True)
            with open(out_file) as f:
                opened = json.load(f)
            latencies = sorted(opened["latency_ms"])
            result["open_loop"] = {
                "sent": opened["sent"], "ok": opened["ok"], "errors": opened["errors"],
                "p50_ms": round(percentile(latencies, 50), 2),
                "p99_ms": round(percentile(latencies, 99), 2), "max_ms": round(latencies[-1], 2)}
            result["load_after_open_loop"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(result))
    finally:
        api.terminate()
        try:
            api.wait(timeout=30)
        except subprocess.TimeoutExpired:
            api.kill()
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", "postgres")
        for queue in (env["LLMQ_QUEUE_NAME"], env["LLMQ_QUEUE_DEAD_LETTER_QUEUE"]):
            subprocess.run(["rabbitmqctl", "-q", "delete_queue", queue], capture_output=True)


if __name__ == "__main__":
    main()
