#!/usr/bin/env bash
# Notification benchmark (see bench/notify.py): terminal status -> SSE `done` and -> webhook
# received latencies, then 10,000 concurrent SSE subscribers on one api (its RSS, and that every
# one of them receives `done`).
#   bench/notify.sh [jobs] [subscribers]        default: 500 jobs, 10,000 subscribers
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
# Each subscriber holds a socket in this script and one in the api.
ulimit -n "$(ulimit -Hn)"
./mvnw -B -q package -DskipTests
exec python3 bench/notify.py "$@"
