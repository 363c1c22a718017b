#!/usr/bin/env bash
# Submit throughput, measured: starts the system with ./llmq up (on a database and queue of the
# benchmark's own, dropped and made anew each run), then drives POST /v1/jobs with
# wrk from a second process on loopback and prints wrk's report (requests/s and latency
# percentiles). Every request is a durable submit (job row + outbox row committed, 202).
#
#   bench/submit-rate.sh [seconds] [connections] [api-only] [limited]
#                                               default: 30 s, 32 connections, worker running
#
# By default the worker runs too, so the machine also carries the publishing and the jobs
# themselves. With "api-only" the worker is stopped once the system is up: the jobs stay queued
# and the two cores serve the submits alone (the api still publishes every message). With
# "limited" the tenant gets a requests_per_minute limit too high to refuse anything (10^9), so
# every submit pays for the rate-limit check in Redis and its headers: the check's cost is the
# difference from a run without it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
connections=${2:-32}
mode=${3:-with-worker}
limited=${4:-unlimited}

if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi

# A database and queue of the benchmark's own, fresh each run, so the tens of thousands of jobs
# it submits never reach the quick start's database and queue.
db=llmq_bench_submit
queue=llmq-bench-submit
drop_queues() {
  if command -v rabbitmqctl >/dev/null; then
    for q in "$queue" "$queue.dlq"; do rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true; done
  fi
}
drop_queues
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
  -c "CREATE DATABASE $db"
export LLMQ_DB_URL=postgresql://127.0.0.1:5432/$db LLMQ_QUEUE_EXCHANGE=$queue \
  LLMQ_QUEUE_NAME=$queue LLMQ_QUEUE_DEAD_LETTER_EXCHANGE=$queue.dlx \
  LLMQ_QUEUE_DEAD_LETTER_QUEUE=$queue.dlq

rm -f .llmq/quickstart-key
./llmq up > /tmp/llmq-bench-up.log 2>&1 &
system=$!
trap 'kill $system 2>/dev/null; wait $system 2>/dev/null || true; drop_queues' EXIT
for _ in $(seq 1 600); do [ -s .llmq/quickstart-key ] && break; sleep 0.5; done
[ -s .llmq/quickstart-key ] || { echo "the system did not start; see /tmp/llmq-bench-up.log" >&2; exit 1; }
if [ "$mode" = api-only ]; then
  # Only the worker this run started: a child of its ./llmq up.
  pkill -P "$system" -f worker/target/quarkus-app/quarkus-run.jar
  echo "Worker stopped: jobs stay queued."
fi
if [ "$limited" = limited ]; then
  base=http://127.0.0.1:${LLMQ_API_PORT:-8080}
  tenant=$(curl -fs -H "Authorization: Bearer $(cat .llmq/quickstart-key)" "$base/v1/tenant" \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  curl -fs -o /dev/null -X PATCH -H "Authorization: Bearer ${LLMQ_ADMIN_TOKEN:-$(cat .llmq/admin-token)}" \
    -H 'Content-Type: application/json' -d '{"limits":{"requests_per_minute":1000000000}}' \
    "$base/v1/admin/tenants/$tenant"
  echo "Tenant $tenant limited to 10^9 submits a minute: every submit is checked."
fi

script=$(mktemp --suffix=.lua)
cat > "$script" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $(cat .llmq/quickstart-key)"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = '{"request":{"model":"llmq-sim","messages":[{"role":"user","content":"benchmark ' .. counter .. ' [[sim delay_ms=0]]"}]}}'
  return wrk.format(nil, "/v1/jobs", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

echo "Warming up (10 s)..."
wrk -t2 -c"$connections" -d10s -s "$script" http://127.0.0.1:${LLMQ_API_PORT:-8080} >/dev/null
echo "Measuring (${seconds} s, ${connections} connections):"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$script" http://127.0.0.1:${LLMQ_API_PORT:-8080}
