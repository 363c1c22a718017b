# Runtime image for the llmq provider simulator (OpenAI and Anthropic APIs, for tests and benchmarks).
# It only packages an already-built Quarkus fast-jar, so build the jars first from the repo root:
#   ./mvnw -B package -DskipTests
# then build with the repository root as context:
#   docker build -f docker/simulator.Dockerfile -t llmq/simulator:latest .
FROM eclipse-temurin:21-jre

# Unprivileged user with uid 185 (the uid Quarkus images use). The application files stay
# owned by root: the app only reads them, so the running user cannot modify its own code.
RUN groupadd --system --gid 185 llmq \
 && useradd --system --uid 185 --gid 185 --home-dir /deployments --no-create-home \
      --shell /usr/sbin/nologin llmq

WORKDIR /deployments
# Least-often-changing layers first: dependencies, then the launcher, then the application.
COPY simulator/target/quarkus-app/lib/ /deployments/lib/
COPY simulator/target/quarkus-app/quarkus-run.jar /deployments/quarkus-run.jar
COPY simulator/target/quarkus-app/app/ /deployments/app/
COPY simulator/target/quarkus-app/quarkus/ /deployments/quarkus/

USER 185
EXPOSE 8090
# No launcher script: JVM flags, if needed, go in JAVA_TOOL_OPTIONS, which the JVM reads itself.
ENTRYPOINT ["java","-jar","/deployments/quarkus-run.jar"]
