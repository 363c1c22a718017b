# Image for the llmq provider simulator (OpenAI and Anthropic APIs, for tests, benchmarks and the
# compose stack), built from source with the repository root as context:
#   docker build -f docker/simulator.Dockerfile -t llmq/simulator .
# (.dockerignore keeps host build output, .git and .llmq/ out of the context.)

# The JDK of the other images' builds, so one base image serves all three.
FROM eclipse-temurin:25.0.3_9-jdk AS build
WORKDIR /src
# Least-often-changing layers first. The wrapper and every module's pom (the reactor reads all
# of them even for -pl simulator), then the dependencies, the plugins and Quarkus's build-time
# artifacts for the prod build: this layer is rebuilt only when a pom changes.
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY common/pom.xml common/
COPY api/pom.xml api/
COPY worker/pom.xml worker/
COPY simulator/pom.xml simulator/
COPY e2e/pom.xml e2e/
RUN ./mvnw -B -ntp -q -pl simulator -am \
      org.apache.maven.plugins:maven-dependency-plugin:3.9.0:go-offline quarkus:go-offline -Dmode=prod
# Then the simulator's sources (it depends on no other llmq module).
COPY simulator/src/ simulator/src/
RUN ./mvnw -B -ntp -pl simulator -am package -DskipTests

# Same runtime as the api and the worker (one base image to pull); the bytecode targets 21.
FROM eclipse-temurin:25.0.3_9-jre

# Unprivileged user with uid 185 (the uid Quarkus images use). The application files stay
# owned by root: the app only reads them, so the running user cannot modify its own code.
RUN groupadd --system --gid 185 llmq \
 && useradd --system --uid 185 --gid 185 --home-dir /deployments --no-create-home \
      --shell /usr/sbin/nologin llmq

WORKDIR /deployments
# Least-often-changing layers first: dependencies, then the launcher, then the application.
COPY --from=build /src/simulator/target/quarkus-app/lib/ /deployments/lib/
COPY --from=build /src/simulator/target/quarkus-app/quarkus-run.jar /deployments/quarkus-run.jar
COPY --from=build /src/simulator/target/quarkus-app/app/ /deployments/app/
COPY --from=build /src/simulator/target/quarkus-app/quarkus/ /deployments/quarkus/

USER 185
EXPOSE 8090
# The simulator has no /q/health: GET /stats (what it served so far) answers 200 once it listens.
# bash opens the port itself, as the JRE image has no curl to rely on.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LLMQ_SIMULATOR_PORT:-8090} && printf 'GET /stats HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
# The heap from the container's memory limit unless JAVA_TOOL_OPTIONS sets one (as in
# docker/api.Dockerfile); exec keeps java PID 1, so it gets the signals.
ENTRYPOINT ["/bin/sh","-c","exec java $(echo \"$JAVA_TOOL_OPTIONS\" | grep -q MaxRAMPercentage || echo -XX:MaxRAMPercentage=75) -jar /deployments/quarkus-run.jar"]
