#!/usr/bin/env bash
# Worker throughput benchmark (see bench/throughput.py): a backlog of zero-latency jobs drained by
# one worker; jobs/s and CPU ms per job of each process.
#   bench/throughput.sh [jobs] [submit rate] [worker JVM flags...]
#   defaults: 10000 jobs submitted at 400/s; SKIP_BUILD=1 uses the jars as built
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
[[ ${SKIP_BUILD:-} == 1 ]] || ./mvnw -B -q package -DskipTests
exec python3 bench/throughput.py "$@"
