#!/usr/bin/env bash
# Graceful-stop benchmark (see bench/shutdown.py): SIGTERM to a worker with calls in flight that
# end inside its grace, then with calls longer than it (cut, handed back, run by the next worker),
# then to an api with SSE streams open; times from SIGTERM to exit, exit codes, error lines.
#   bench/shutdown.sh [jobs] [grace s] [streams]
#   defaults: 64 jobs, a 10 s grace, 50 streams
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
./mvnw -B -q package -DskipTests
exec python3 bench/shutdown.py "$@"
