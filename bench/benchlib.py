"""What the benchmark scripts share: loopback ports, JSON over HTTP, psql, launching the built
apps on a database and queue of their own, a tenant's API key, and submitting jobs at a steady
rate. Only loopback addresses are used; every wait is bounded in time."""
import http.client as httpclient
import json
import os
import shlex
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
    a cache was trained on exactly these jars by this JVM, see bench/aot-train.sh), as the apps
    run in `./llmq up` and the images; none with LLMQ_BENCH_AOT=0."""
    if os.environ.get("LLMQ_BENCH_AOT") == "0":
        return []
    return subprocess.run([os.path.join(ROOT, "bench", "jvm-opts.sh"), module], check=True,
                          capture_output=True, text=True).stdout.split()


def jvm_options():
    """Extra JVM options for every app a benchmark starts, from LLMQ_BENCH_JVM_OPTS (split as a
    shell would), so start-up flags are tried in one place."""
    return shlex.split(os.environ.get("LLMQ_BENCH_JVM_OPTS", ""))


def launch(processes, java, module, label, env, flags=()):
    """Starts a module's built Quarkus app (bench/out/<label>.log) and adds it to processes.
    The one place every benchmark starts an app: the heap cap, the module's AOT cache (see
    jvm_opts), LLMQ_BENCH_JVM_OPTS, then the caller's flags. `process.started` is the
    perf_counter just before the fork."""
    os.makedirs(OUT, exist_ok=True)
    log = open(os.path.join(OUT, f"{label}.log"), "w")
    jar = os.path.join(ROOT, module, "target", "quarkus-app", "quarkus-run.jar")
    options = [java, "-Xmx512m", *jvm_opts(module), *jvm_options(), *flags, "-jar", jar]
    started = time.perf_counter()
    process = subprocess.Popen(options, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.started = started
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
    """Stops the given processes (and only them): SIGTERM, then SIGKILL after 20 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def drop_database(db):
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", "postgres")


def delete_queues(env):
    """Deletes the queue and dead-letter queue `isolated_env` named, with rabbitmqctl where it is
    installed (their exchanges stay: rabbitmqctl cannot delete one)."""
    for queue in (env.get("LLMQ_QUEUE_NAME"), env.get("LLMQ_QUEUE_DEAD_LETTER_QUEUE")):
        if queue and queue.startswith("llmq-bench-"):
            subprocess.run(["rabbitmqctl", "-q", "delete_queue", queue], capture_output=True,
                           timeout=60, check=False)


def cpu_ms(pid):
    """utime + stime of a process so far, in ms (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mib(pid):
    """VmRSS of a process in MiB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pids_of(user=None, name=None):
    """PIDs by owner or exact process name, read with pgrep (reading only)."""
    args = ["pgrep"] + (["-u", user] if user else []) + (["-x", name] if name else [])
    found = subprocess.run(args, capture_output=True, text=True, check=False).stdout.split()
    return [int(p) for p in found]


def service_pids():
    """The shared services' processes: every PostgreSQL process (the postmaster and its
    backends), RabbitMQ's beam.smp and redis-server."""
    return {"postgresql": pids_of(user="postgres", name=None) or pids_of(name="postgres"),
            "rabbitmq": pids_of(name="beam.smp"), "redis": pids_of(name="redis-server")}


def cpu_snapshot(apps):
    """CPU ms so far of each app (label -> pid), and of each process of each shared service
    (label -> {pid: ms}): PostgreSQL backends come and go, so each is compared with itself."""
    snapshot = {label: cpu_ms(pid) for label, pid in apps.items()}
    for label, pids in service_pids().items():
        snapshot[label] = {pid: cpu_ms(pid) for pid in pids}
    return snapshot


def cpu_per_op(before, after, ops):
    """CPU ms per operation of each process between two snapshots. A service's figure is the sum
    over its processes alive at the second snapshot of what each spent since the first (all of it
    for one started since); a process that exited in between is not counted, so the figure errs
    low, never negative."""
    result = {}
    for label, then in before.items():
        now = after.get(label)
        if isinstance(then, dict):
            spent = sum(ms - then.get(pid, 0.0) for pid, ms in (now or {}).items())
        else:
            spent = (now or 0.0) - then
        result[label] = round(spent / ops, 4) if ops else None
    return result


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
