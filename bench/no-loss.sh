#!/usr/bin/env bash
# No-loss fault benchmark (see bench/no_loss.py): the api and two workers; jobs submitted at a
# steady rate while workers are killed with SIGKILL in turn and RabbitMQ is restarted once; then
# every accepted job must be terminal, none lost, none completed twice.
#   bench/no-loss.sh [jobs] [rate] [kill every s] [drain s]
#   defaults: 10,000 jobs, 100/s, a kill every 15 s, up to 600 s to drain
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
command -v rabbitmqctl >/dev/null || die "bench/no-loss.sh restarts the local RabbitMQ: rabbitmqctl is needed"
./mvnw -B -q package -DskipTests
exec python3 bench/no_loss.py "$@"
