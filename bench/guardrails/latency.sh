#!/usr/bin/env bash
# Latency the input screens add to a job (docs/benchmarks.md, "Guardrails: input screens"):
# starts the simulator module on a free port, runs ScreensLatencyBench against it (local
# moderation rules, injection heuristics, moderation endpoint through the worker's client) and
# stops the simulator. Prints p50/p99 per check. Usage: bench/guardrails/latency.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
jar=simulator/target/quarkus-app/quarkus-run.jar
if [ ! -f "$jar" ]; then
  ./mvnw -B -q -o -pl simulator -am package -DskipTests
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LLMQ_SIMULATOR_PORT=$port "$JAVA_HOME/bin/java" -jar "$jar" > /tmp/llmq-guardrails-sim.log 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$port/stats" > /dev/null && break
  sleep 0.5
done
./mvnw -B -o -pl worker -am verify -Dtest=ScreensLatencyBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=none -Dllmq.bench.simulator="http://127.0.0.1:$port" \
  | grep -E '^(local moderation|injection heuristics|output validation|moderation endpoint)|BUILD'
