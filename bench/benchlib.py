"""What the benchmark scripts share: loopback ports, JSON over HTTP, psql, launching the built
apps on a database and queue of their own, a tenant's API key, and submitting jobs at a steady
rate. Only loopback addresses are used; every wait is bounded in time."""
import http.client as httpclient
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def wait_ready(url, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a process exited at start-up; see {OUT}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"{url} not ready")


def psql(sql, db):
    """psql, retried a few times: a shared PostgreSQL may be out of connections for a moment."""
    for attempt in range(10):
        try:
            return subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql],
                check=True, capture_output=True, text=True).stdout.strip()
        except subprocess.CalledProcessError:
            if attempt == 9:
                raise
            time.sleep(1)


def jvm_opts(module):
    """The JVM options that start `module` from its AOT cache (bench/jvm-opts.sh: empty unless
    a cache was trained on exactly these jars by this JVM), when LLMQ_BENCH_AOT=1."""
    if os.environ.get("LLMQ_BENCH_AOT") != "1":
        return []
    return subprocess.run([os.path.join(ROOT, "bench", "jvm-opts.sh"), module], check=True,
                          capture_output=True, text=True).stdout.split()


def launch(processes, java, module, label, env, flags=()):
    """Starts a module's built Quarkus app (bench/out/<label>.log) and adds it to processes;
    from its AOT cache with LLMQ_BENCH_AOT=1 (see jvm_opts)."""
    os.makedirs(OUT, exist_ok=True)
    log = open(os.path.join(OUT, f"{label}.log"), "w")
    jar = os.path.join(ROOT, module, "target", "quarkus-app", "quarkus-run.jar")
    process = subprocess.Popen([java, "-Xmx512m", *jvm_opts(module), *flags, "-jar", jar], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    processes.append(process)
    return process


def tenant_key(base, admin_token):
    """A new tenant's API key, made through the admin API."""
    return tenant(base, admin_token, "bench")[1]


def tenant(base, admin_token, name):
    """A new tenant made through the admin API: its id and an API key."""
    admin = {"Authorization": "Bearer " + admin_token}
    tenant_id = http("POST", base + "/v1/admin/tenants", {"name": name}, admin)["id"]
    key = http("POST", f"{base}/v1/admin/tenants/{tenant_id}/keys", {"name": name}, admin)["key"]
    return tenant_id, key


def machine():
    """What the figures ran on: CPU model, cores, memory, and the load average now (1, 5, 15
    min), since other work on a shared machine moves every timing."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as meminfo:
            memory = int(meminfo.readline().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(memory),
            "load": [round(x, 2) for x in os.getloadavg()]}


def isolated_env(db, admin_token="bench-admin"):
    """The environment for apps that run on a fresh database `db` and a queue of their own (named
    after a random suffix), so a run neither sees nor disturbs another's jobs."""
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {db}", "postgres")
    queue = "llmq-bench-" + uuid.uuid4().hex[:8]
    env = dict(os.environ)
    env.update({
        "LLMQ_DB_URL": f"postgresql://127.0.0.1:5432/{db}", "LLMQ_ADMIN_TOKEN": admin_token,
        "LLMQ_QUEUE_EXCHANGE": queue, "LLMQ_QUEUE_NAME": queue,
        "LLMQ_QUEUE_DEAD_LETTER_EXCHANGE": queue + ".dlx",
        "LLMQ_QUEUE_DEAD_LETTER_QUEUE": queue + ".dlq",
        "QUARKUS_LOG_CONSOLE_JSON_ENABLED": "false",
    })
    return env


def percentile(values, p):
    """The p-th percentile (0-100) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def stop(processes):
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def drive(api_port, auth, rate, seconds, body_of, senders=16):
    """Submits rate * seconds jobs on a fixed schedule, open loop: each submit has its slot, sent
    by whichever of the sender threads is free, so a slow answer does not slow the arrivals.
    `body_of(slot)` is the job's body. Answers the accepted jobs' ids, the submit latencies (ms),
    the senders' lag behind the schedule (ms), the failed submits and the time taken (s)."""
    total = int(rate * seconds)
    headers = {**auth, "Content-Type": "application/json"}
    lock = threading.Lock()
    next_slot = [0]
    ids, latencies, lags, errors = [], [], [], [0]
    start = time.perf_counter() + 0.5

    def sender():
        connection = httpclient.HTTPConnection("127.0.0.1", api_port, timeout=30)
        try:
            while True:
                with lock:
                    slot = next_slot[0]
                    next_slot[0] += 1
                if slot >= total:
                    return
                due = start + slot / rate
                now = time.perf_counter()
                if due > now:
                    time.sleep(due - now)
                body = body_of(slot)
                sent = time.perf_counter()
                try:
                    connection.request("POST", "/v1/jobs", json.dumps(body), headers)
                    response = connection.getresponse()
                    job = json.loads(response.read())
                    if response.status != 202:
                        raise RuntimeError(response.status)
                except Exception:
                    with lock:
                        errors[0] += 1
                    connection.close()
                    connection = httpclient.HTTPConnection("127.0.0.1", api_port, timeout=30)
                    continue
                done = time.perf_counter()
                with lock:
                    ids.append(job["id"])
                    latencies.append((done - sent) * 1000)
                    lags.append(max(0.0, (sent - due) * 1000))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - start
    return ids, latencies, lags, errors[0], elapsed
