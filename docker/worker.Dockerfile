# Image for the llmq worker (its HTTP port serves only health and metrics), built from source with
# the repository root as context:
#   docker build -f docker/worker.Dockerfile -t llmq/worker .
# (.dockerignore keeps host build output, .git and .llmq/ — the admin token — out of the context.)
#
# For an image that starts from a JDK AOT cache (about half the start-up CPU; README, "Start-up"),
# train one on the host with the same JDK release as the runtime image below, then hand the trained
# application to the build in place of the `app` stage:
#   bench/aot-train.sh        (aot-jar packaging + worker/target/quarkus-app/app.aot)
#   docker build --build-context app=worker/target -f docker/worker.Dockerfile -t llmq/worker .
# A cache cannot be trained inside `docker build`: training runs the app against PostgreSQL,
# RabbitMQ and Redis.

# JDK 25, the release of the runtime image: the same compiler and JVM build as the AOT training.
FROM eclipse-temurin:25.0.3_9-jdk AS build
WORKDIR /src
# Least-often-changing layers first. The wrapper and every module's pom (the reactor reads all
# of them even for -pl worker -am), then the dependencies, the plugins and Quarkus's build-time
# artifacts for the prod build: this layer is rebuilt only when a pom changes.
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY common/pom.xml common/
COPY api/pom.xml api/
COPY worker/pom.xml worker/
COPY simulator/pom.xml simulator/
COPY e2e/pom.xml e2e/
RUN ./mvnw -B -ntp -q -pl worker -am \
      org.apache.maven.plugins:maven-dependency-plugin:3.9.0:go-offline quarkus:go-offline -Dmode=prod
# Then the sources of the worker and what it depends on.
COPY common/src/ common/src/
COPY worker/src/ worker/src/
# MANAGEMENT=true serves /q/* (health, metrics, openapi) on a port of its own, 9000, and not on
# the main port, as the Kubernetes manifests expect (k8s/README.md). Quarkus fixes this at build
# time, so it is a build argument: docker build --build-arg MANAGEMENT=true ...
ARG MANAGEMENT=false
RUN ./mvnw -B -ntp -pl worker -am package -DskipTests -Dquarkus.management.enabled=${MANAGEMENT}

# The packaged application (a fast-jar; no AOT cache). `--build-context app=worker/target` replaces
# this stage with the host's trained aot-jar and its app.aot.
FROM scratch AS app
COPY --from=build /src/worker/target/quarkus-app/ /quarkus-app/

FROM eclipse-temurin:25.0.3_9-jre
# The health check asks the management port when the app was built with one.
ARG MANAGEMENT=false
ENV LLMQ_MANAGEMENT=${MANAGEMENT}
# JDK 25 for the AOT cache (JEP 483/514/515); the bytecode targets 21. Pinned to the release the
# caches are trained with: a cache maps only into the JVM build that wrote it (another one is
# ignored with a warning, and the app starts without class-data sharing, a little slower).

# Unprivileged user with uid 185 (the uid Quarkus images use). The application files stay
# owned by root: the app only reads them, so the running user cannot modify its own code.
RUN groupadd --system --gid 185 llmq \
 && useradd --system --uid 185 --gid 185 --home-dir /deployments --no-create-home \
      --shell /usr/sbin/nologin llmq

WORKDIR /deployments
# Least-often-changing layers first: dependencies, then the launcher, then the application.
COPY --from=app /quarkus-app/lib/ /deployments/lib/
# app.ao[t]: the trained cache when there is one (the pattern lets the COPY work without it). COPY
# keeps the files' modification times, which the JDK checks against the cache's jars; the JDK
# also accepts the jars' new directory, since the whole tree moved together.
COPY --from=app /quarkus-app/quarkus-run.jar /quarkus-app/app.ao[t] /deployments/
COPY --from=app /quarkus-app/app/ /deployments/app/
COPY --from=app /quarkus-app/quarkus/ /deployments/quarkus/

USER 185
EXPOSE 8081
# The JRE image has no curl to rely on: bash opens the port itself and sends a plain HTTP/1.0
# GET. Ready means PostgreSQL, RabbitMQ and Redis answer (SPEC §5); the start period covers
# Flyway's migration on a first start.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/$([ \"$LLMQ_MANAGEMENT\" = true ] && echo ${QUARKUS_MANAGEMENT_PORT:-9000} || echo ${LLMQ_WORKER_PORT:-8081}) && printf 'GET /q/health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
# The shell adds two options and then execs java, which stays PID 1 and gets the signals:
# - the heap from the container's memory limit, not the host's: 75 % of it, the rest for
#   metaspace, threads, direct buffers and the AOT cache mapping; unless JAVA_TOOL_OPTIONS (read by
#   the JVM itself; put other JVM flags there) sets -XX:MaxRAMPercentage of its own. Not an image-wide
#   JAVA_TOOL_OPTIONS: the JVM would print a "Picked up" line, not JSON, at every start.
# - the AOT cache, only when the image has one (naming a missing cache would also turn off the
#   JDK's own class-data sharing).
ENTRYPOINT ["/bin/sh","-c","exec java $(echo \"$JAVA_TOOL_OPTIONS\" | grep -q MaxRAMPercentage || echo -XX:MaxRAMPercentage=75) $([ -f /deployments/app.aot ] && echo -XX:AOTCache=/deployments/app.aot) -jar /deployments/quarkus-run.jar"]
