# Runtime image for the llmq worker (HTTP serves only health and metrics).
# It only packages an already-built Quarkus fast-jar, so build the jars first from the repo root:
#   ./mvnw -B package -DskipTests
# then build with the repository root as context:
#   docker build -f docker/worker.Dockerfile -t llmq/worker:latest .
FROM eclipse-temurin:21-jre

# Unprivileged user with uid 185 (the uid Quarkus images use). The application files stay
# owned by root: the app only reads them, so the running user cannot modify its own code.
RUN groupadd --system --gid 185 llmq \
 && useradd --system --uid 185 --gid 185 --home-dir /deployments --no-create-home \
      --shell /usr/sbin/nologin llmq

WORKDIR /deployments
# Least-often-changing layers first: dependencies, then the launcher, then the application.
COPY worker/target/quarkus-app/lib/ /deployments/lib/
COPY worker/target/quarkus-app/quarkus-run.jar /deployments/quarkus-run.jar
COPY worker/target/quarkus-app/app/ /deployments/app/
COPY worker/target/quarkus-app/quarkus/ /deployments/quarkus/

USER 185
EXPOSE 8081
# No launcher script: JVM flags, if needed, go in JAVA_TOOL_OPTIONS, which the JVM reads itself.
ENTRYPOINT ["java","-jar","/deployments/quarkus-run.jar"]
