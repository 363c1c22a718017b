#!/usr/bin/env bash
# Governor benchmark (see bench/governor.py): the simulator with a TPM limit, the api, two worker
# processes, a mixed workload above the limit for N minutes, first with the governor on, then off.
#   bench/governor.sh [minutes] [tokens-per-minute] [jobs/s]   default: 3 minutes, 60,000 TPM, 3/s
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
./mvnw -B -q package -DskipTests
exec python3 bench/governor.py "$@"
