#!/usr/bin/env bash
# Governor benchmark (see bench/governor.py): the simulator as a provider limited to 20,000 TPM /
# 1,000 RPM that counts prompts as OpenAI's limiter does, the api and two worker processes, a fresh
# governor state (a provider name of its own). Tenant A floods 12 minutes of the limit at once;
# tenant B arrives at 120 s with a burst, then a trickle, then a burst at share_weight 3. Reports
# 429s in the first 60 s and over the run, goodput, the tenants' token shares, B's queue waits and
# the error of the queued jobs' estimated starts.
#   bench/governor.sh [--mode on|on-usage|off|all] [--tpm 20000] [--rpm 1000] [--workers 2] [...]
#   (--help lists every option; default: --mode on, about 11 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
./mvnw -B -q package -DskipTests
exec python3 bench/governor.py "$@"
