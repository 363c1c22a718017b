# Runtime image for the llmq worker (HTTP serves only health and metrics).
# It only packages an already-built Quarkus app, so build the jars first from the repo root:
#   ./mvnw -B package -DskipTests
# or, for an image that starts from a JDK AOT cache (about half the start-up CPU; README,
# "Start-up"), build and train with the same JDK release as the image below:
#   bench/aot-train.sh        (aot-jar packaging + worker/target/quarkus-app/app.aot)
# then build with the repository root as context:
#   docker build -f docker/worker.Dockerfile -t llmq/worker:latest .
# JDK 25 for the AOT cache (JEP 483/514/515); the bytecode targets 21. Pinned to the release the
# caches are trained with: a cache maps only into the JVM build that wrote it (another one is
# ignored with a warning, and the app starts without class-data sharing, a little slower).
FROM eclipse-temurin:25.0.3_9-jre

# Unprivileged user with uid 185 (the uid Quarkus images use). The application files stay
# owned by root: the app only reads them, so the running user cannot modify its own code.
RUN groupadd --system --gid 185 llmq \
 && useradd --system --uid 185 --gid 185 --home-dir /deployments --no-create-home \
      --shell /usr/sbin/nologin llmq

WORKDIR /deployments
# Least-often-changing layers first: dependencies, then the launcher, then the application.
COPY worker/target/quarkus-app/lib/ /deployments/lib/
# app.ao[t]: the trained cache when there is one (the pattern lets the COPY work without it). COPY
# keeps the files' modification times, which the JDK checks against the cache's jars; the JDK
# also accepts the jars' new directory, since the whole tree moved together.
COPY worker/target/quarkus-app/quarkus-run.jar worker/target/quarkus-app/app.ao[t] /deployments/
COPY worker/target/quarkus-app/app/ /deployments/app/
COPY worker/target/quarkus-app/quarkus/ /deployments/quarkus/

USER 185
EXPOSE 8081
# JVM flags, if needed, go in JAVA_TOOL_OPTIONS, which the JVM reads itself. The shell only adds
# the AOT cache when the image has one (naming a missing cache would also turn off the JDK's own
# class-data sharing) and then execs java, which stays PID 1 and gets the signals.
ENTRYPOINT ["/bin/sh","-c","exec java $([ -f /deployments/app.aot ] && echo -XX:AOTCache=/deployments/app.aot) -jar /deployments/quarkus-run.jar"]
