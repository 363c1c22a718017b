#!/usr/bin/env bash
# Cache benchmark (see bench/cache.py): the simulator as the OpenAI upstream, the api and two
# worker processes; submit -> succeeded latency of cache hits, then 100 identical concurrent jobs
# and the upstream calls they made (with the cache, then with "cache": "bypass").
#   bench/cache.sh [hits] [identical jobs] [warm-up rounds]
#   defaults: 300 measured hits (alone, then as many taking turns with uncached jobs), 100 identical
#   jobs, 2000 warm-up rounds
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
./mvnw -B -q package -DskipTests
exec python3 bench/cache.py "$@"
