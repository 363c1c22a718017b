#!/usr/bin/env bash
# Prints the JVM options that start <module> (api or worker) from its AOT cache, or nothing.
#
#   bench/jvm-opts.sh <module>           "-XX:AOTCache=<root>/<module>/target/quarkus-app/app.aot"
#                                        when that cache was trained (bench/aot-train.sh) on exactly
#                                        the jars now in <module>/target/quarkus-app and by this JVM;
#                                        else nothing (and why, on stderr)
#   bench/jvm-opts.sh --stamp <module>   the stamp a cache is tied to (written next to it as
#                                        app.aot.stamp by the training run)
#
# The stamp is every jar's path, size and modification time (what the JDK itself checks before
# it maps a cache; a rebuilt jar has a new time) plus `java -version` of $JAVA_HOME (or `java`),
# since a cache only maps into the JVM build that wrote it. A stale cache would not crash the
# app either: the JDK logs "shared class paths mismatch" / "Unable to map shared spaces" and
# starts without it, as slowly as with no cache; this check just keeps that noise and the
# false hope out of the logs. Never -XX:AOTMode=on, which makes a bad cache fatal.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

stamp() { # module
  local app="$root/$1/target/quarkus-app"
  [ -f "$app/quarkus-run.jar" ] || return 1
  {
    "$java" -version 2>&1
    (cd "$app" && find . -name '*.jar' -printf '%p %s %T@\n' | LC_ALL=C sort)
  } | sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = "--stamp" ]; then
  stamp "${2:?usage: bench/jvm-opts.sh --stamp <module>}"
  exit
fi
module="${1:?usage: bench/jvm-opts.sh <module>}"
cache="$root/$module/target/quarkus-app/app.aot"
[ -f "$cache" ] && [ -f "$cache.stamp" ] || exit 0
if [ "$(stamp "$module" || true)" != "$(cat "$cache.stamp")" ]; then
  echo "jvm-opts: $cache was trained on other jars or another JVM; starting without it (rerun bench/aot-train.sh)" >&2
  exit 0
fi
echo "-XX:AOTCache=$cache"
