#!/usr/bin/env bash
# Governor benchmark (see bench/governor.py): the simulator with a TPM limit, the api, two worker
# processes, a mixed workload above the limit for N minutes, in each mode (governor on, on with a
# limiter that settles on usage, off).
#   bench/governor.sh [minutes] [tokens-per-minute] [jobs/s] [on|on-usage|off]   default: 3 min, 60,000 TPM, 4/s, every mode
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
./mvnw -B -q package -DskipTests
exec python3 bench/governor.py "$@"
