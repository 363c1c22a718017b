#!/usr/bin/env bash
# Dispatch overhead benchmark (see bench/dispatch.py): the api and the worker(s); jobs to the
# built-in simulated provider with no delay, submitted at a steady rate; queued -> succeeded.
#   bench/dispatch.sh [rate] [seconds] [workers] [warm-up seconds]
#   defaults: 200 jobs/s, 30 s measured, 1 worker, 20 s warm-up
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
./mvnw -B -q package -DskipTests
exec python3 bench/dispatch.py "$@"
