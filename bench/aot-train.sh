#!/usr/bin/env bash
# Builds the api and the worker as `aot-jar` and trains their JDK AOT caches (JEP 483/514/515;
# JDK 25 or newer): bench/aot-train.py runs both against the local PostgreSQL, RabbitMQ and Redis
# on a database and queue of its own, drives the request path, and on exit each JVM writes
# <module>/target/quarkus-app/app.aot; then each cache's stamp (bench/jvm-opts.sh --stamp) is
# written next to it as app.aot.stamp. Start the apps with `$(bench/jvm-opts.sh <module>)`, as
# `./llmq up` does.
#
#   bench/aot-train.sh [--no-build] [rounds]
#
# Not part of `./mvnw verify`: training needs the services and ~30 s. The plain build still makes
# fast-jars; this script's build (`-Dquarkus.package.jar.type=aot-jar`) puts every class on the
# JVM's own class path, the only classes a JDK cache holds.
set -euo pipefail
cd "$(dirname "$0")/.."
source <(sed -n '/^java_major()/,/^}/p; /^find_jdk()/,/^}/p; /^die()/p' llmq)
find_jdk
[ "$(java_major "$JAVA_HOME/bin/java")" -ge 25 ] || die "an AOT cache needs JDK 25 or newer; $JAVA_HOME is older"
if [ "${1:-}" = "--no-build" ]; then
  shift
else
  ./mvnw -B -q package -DskipTests -pl api,worker -am -Dquarkus.package.jar.type=aot-jar
fi
for module in api worker; do
  python3 -c 'import sys, zipfile; sys.exit(b"AotQuarkusEntryPoint" not in zipfile.ZipFile(sys.argv[1]).read("META-INF/MANIFEST.MF"))' \
    "$module/target/quarkus-app/quarkus-run.jar" \
    || die "$module/target/quarkus-app is not an aot-jar: build it with -Dquarkus.package.jar.type=aot-jar (or drop --no-build)"
  rm -f "$module/target/quarkus-app/app.aot" "$module/target/quarkus-app/app.aot.stamp"
done
python3 bench/aot-train.py "$@"
for module in api worker; do
  bench/jvm-opts.sh --stamp "$module" > "$module/target/quarkus-app/app.aot.stamp"
done
echo "AOT caches trained: $(bench/jvm-opts.sh api) $(bench/jvm-opts.sh worker)"
