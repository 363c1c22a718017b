package io.llmq.e2e;

import io.llmq.common.testing.TestServices;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.Awaitility;

/**
 * Runs the packaged api and worker jars as separate processes, in the prod profile, against the
 * test services: the system as a user starts it. Each run gets its own database and queue names.
 * The simulator runs as a third process and stands in for OpenAI and Anthropic: the worker's {@code
 * openai} and {@code anthropic} providers point at it, with keys, so their models go through the
 * real adapters; {@code llmq-sim} stays on the built-in simulated provider.
 */
final class LlmqProcesses implements AutoCloseable {

  static final String ADMIN_TOKEN = "e2e-admin-" + UUID.randomUUID();

  /** The key the worker's {@code openai} provider sends; the simulator limits per key. */
  static final String OPENAI_KEY = "e2e-openai-key";

  private final Path root = Path.of(System.getProperty("llmq.root", "..")).toAbsolutePath();
  private final Path logs = root.resolve("e2e/target");
  private final Infrastructure services;
  private final String logPrefix;
  private final String queue = "llmq-e2e-" + UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, String> env = new HashMap<>();
  private final Map<String, String> workerEnv = new HashMap<>();
  private final int apiPort = freePort();
  private final int simulatorPort = freePort();
  private Process simulator;
  private final List<Process> moreSimulators = new ArrayList<>();
  private Process api;
  private final List<Process> workers = new ArrayList<>();
  private final Map<String, Process> workersById = new HashMap<>();
  private final Map<Process, Integer> workerPorts = new HashMap<>();
  private int workersStarted;
  private final List<Process> moreApis = new ArrayList<>();
  private final String dbUrl;

  /**
   * Where the apps find PostgreSQL (a database of their own: {@code dbUrl}), RabbitMQ and Redis,
   * and what removes a run's queues and exchanges afterwards.
   */
  record Infrastructure(
      String dbUrl,
      String pgUser,
      String pgPassword,
      String rabbitHost,
      int rabbitPort,
      String redisUrl,
      Consumer<String> deleteTopology) {}

  /** The system on the test services ({@link TestServices}), in a database made afresh. */
  LlmqProcesses() {
    this("", shared());
  }

  /** The system on the test services, each process's log named with {@code logPrefix}. */
  LlmqProcesses(String logPrefix) {
    this(logPrefix, shared());
  }

  /**
   * The system on other services; {@code logPrefix} starts the name of each process's log in {@code
   * e2e/target}, so runs of different tests keep theirs apart.
   */
  LlmqProcesses(String logPrefix, Infrastructure services) {
    this.services = services;
    this.logPrefix = logPrefix;
    dbUrl = services.dbUrl();
    env.put("LLMQ_DB_URL", dbUrl);
    env.put("LLMQ_DB_USER", services.pgUser());
    env.put("LLMQ_DB_PASSWORD", services.pgPassword());
    env.put("LLMQ_RABBITMQ_HOST", services.rabbitHost());
    env.put("LLMQ_RABBITMQ_PORT", String.valueOf(services.rabbitPort()));
    env.put("LLMQ_REDIS_URL", services.redisUrl());
    env.put("LLMQ_ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("LLMQ_QUEUE_EXCHANGE", queue);
    env.put("LLMQ_QUEUE_NAME", queue);
    env.put("LLMQ_QUEUE_DEAD_LETTER_EXCHANGE", queue + ".dlx");
    env.put("LLMQ_QUEUE_DEAD_LETTER_QUEUE", queue + ".dlq");
    env.put("LLMQ_PROVIDERS_SIMULATED_TIME_TO_FIRST_TOKEN", "20ms");
    env.put("LLMQ_PROVIDERS_SIMULATED_TOKENS_PER_SECOND", "2000");
    env.put("LLMQ_WORKER_LEASE_DURATION", "3s");
    env.put("LLMQ_WORKER_HEARTBEAT_INTERVAL", "500ms");
    env.put("LLMQ_WORKER_REAP_INTERVAL", "1s");
    env.put("LLMQ_WORKER_RETRY_INITIAL_INTERVAL", "200ms");
    env.put("LLMQ_OPENAI_BASE_URL", simulatorUrl() + "/v1");
    env.put("LLMQ_OPENAI_API_KEY", OPENAI_KEY);
    env.put("LLMQ_ANTHROPIC_BASE_URL", simulatorUrl());
    env.put("LLMQ_ANTHROPIC_API_KEY", "e2e-anthropic-key");
    env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
  }

  int apiPort() {
    return apiPort;
  }

  /** A tenant made through the admin API, and an API key of it. */
  record TenantKey(String id, String key) {}

  /** A new tenant named {@code name}, with one API key, made through the running api. */
  TenantKey newTenant(String name) {
    String id =
        RestAssured.given()
            .baseUri("http://127.0.0.1")
            .port(apiPort)
            .header("Authorization", "Bearer " + ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String key =
        RestAssured.given()
            .baseUri("http://127.0.0.1")
            .port(apiPort)
            .header("Authorization", "Bearer " + ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name))
            .post("/v1/admin/tenants/" + id + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
    return new TenantKey(id, key);
  }

  /** The Redis the apps use, {@code redis://host:port}. */
  URI redisUri() {
    return URI.create(services.redisUrl());
  }

  /** Changes the simulator's settings at run time ({@code PUT /admin/config}). */
  void simulator(String settings) {
    RestAssured.given()
        .baseUri(simulatorUrl())
        .contentType(ContentType.JSON)
        .body(settings)
        .put("/admin/config")
        .then()
        .statusCode(200);
  }

  /** One figure of the simulator's {@code GET /stats}. */
  long simulatorStat(String name) {
    return RestAssured.given()
        .baseUri(simulatorUrl())
        .get("/stats")
        .then()
        .extract()
        .<Number>path(name)
        .longValue();
  }

  /** Sets an environment variable of every process started after this. */
  LlmqProcesses with(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Sets an environment variable of every worker started after this, and of no other process. */
  LlmqProcesses withWorkers(String name, String value) {
    workerEnv.put(name, value);
    return this;
  }

  /** A connection to the system's database, for checks a client cannot make. */
  Connection database() throws SQLException {
    return DriverManager.getConnection("jdbc:" + dbUrl, services.pgUser(), services.pgPassword());
  }

  /** The rows of a query, each column by name. */
  List<Map<String, Object>> rows(String sql) {
    try (Connection connection = database();
        ResultSet result = connection.createStatement().executeQuery(sql)) {
      List<Map<String, Object>> rows = new ArrayList<>();
      while (result.next()) {
        Map<String, Object> row = new HashMap<>();
        for (int i = 1; i <= result.getMetaData().getColumnCount(); i++) {
          row.put(result.getMetaData().getColumnLabel(i), result.getObject(i));
        }
        rows.add(row);
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  String simulatorUrl() {
    return "http://127.0.0.1:" + simulatorPort;
  }

  void start() {
    start(1);
  }

  /**
   * Starts the simulator, the api and {@code workerCount} workers. The simulator answers at 2000
   * tokens/s unless {@link #with} set {@code LLMQ_SIMULATOR_TOKENS_PER_SECOND}.
   */
  void start(int workerCount) {
    simulator =
        launch(
            "simulator",
            Map.of(
                "LLMQ_SIMULATOR_PORT", String.valueOf(simulatorPort),
                "LLMQ_SIMULATOR_TIME_TO_FIRST_TOKEN", "20ms",
                "LLMQ_SIMULATOR_TOKENS_PER_SECOND",
                    env.getOrDefault("LLMQ_SIMULATOR_TOKENS_PER_SECOND", "2000")));
    awaitReady(simulatorPort, simulator, "/stats");
    api = launch("api", Map.of("LLMQ_API_PORT", String.valueOf(apiPort)));
    for (int i = 0; i < workerCount; i++) {
      launchWorker();
    }
    awaitWorkersReady();
    awaitReady(apiPort, api);
  }

  /**
   * Starts one more api process, on a port of its own, beside the first: the same database, queue
   * and Redis, as replicas behind a load balancer. Waits until it is ready; returns its port.
   */
  int startAnotherApi() {
    int port = freePort();
    Process process =
        launch("api-" + (moreApis.size() + 2), Map.of("LLMQ_API_PORT", String.valueOf(port)));
    moreApis.add(process);
    awaitReady(port, process);
    return port;
  }

  /**
   * Starts one more simulator, on a port of its own, as a second provider (point a provider's base
   * URL at it with {@link #with}); waits until it is ready and answers its URL. Can be called
   * before {@link #start}.
   */
  String startAnotherSimulator() {
    int port = freePort();
    Process process =
        launch(
            "simulator-" + (moreSimulators.size() + 2),
            Map.of(
                "LLMQ_SIMULATOR_PORT", String.valueOf(port),
                "LLMQ_SIMULATOR_TIME_TO_FIRST_TOKEN", "20ms",
                "LLMQ_SIMULATOR_TOKENS_PER_SECOND", "2000"));
    moreSimulators.add(process);
    awaitReady(port, process, "/stats");
    return "http://127.0.0.1:" + port;
  }

  /** Starts a worker (again, after {@link #killWorker}) and waits until it is ready. */
  void startWorker() {
    startWorker(Map.of());
  }

  /** Starts a worker with environment variables of its own, waits until it is ready; its id. */
  String startWorker(Map<String, String> settings) {
    String id = launchWorker(settings);
    Process worker = workersById.get(id);
    awaitReady(workerPorts.get(worker), worker);
    return id;
  }

  /** Starts a worker and answers its id at once, while it boots ({@link #awaitWorkersReady}). */
  String launchWorker() {
    return launchWorker(Map.of());
  }

  private String launchWorker(Map<String, String> settings) {
    int port = freePort();
    String name = "worker-" + ++workersStarted;
    String id = "e2e-" + logPrefix + name;
    Map<String, String> extra = new HashMap<>(workerEnv);
    extra.putAll(settings);
    extra.put("LLMQ_WORKER_PORT", String.valueOf(port));
    extra.put("LLMQ_WORKER_ID", id);
    Process worker = launch(name, extra);
    workers.add(worker);
    workersById.put(id, worker);
    workerPorts.put(worker, port);
    return id;
  }

  /** Waits until every worker running now is ready. */
  void awaitWorkersReady() {
    for (Process worker : List.copyOf(workers)) {
      awaitReady(workerPorts.get(worker), worker);
    }
  }

  /** A counter of a running worker's {@code /q/metrics}, summed over its tags; 0 when absent. */
  double workerMetric(String id, String name) {
    String text =
        RestAssured.given()
            .port(workerPorts.get(workersById.get(id)))
            .get("/q/metrics")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    return text.lines()
        .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The HTTP port (health and metrics) of the running worker {@code id}. */
  int workerPort(String id) {
    return workerPorts.get(workersById.get(id));
  }

  /** The HTTP ports (health and metrics) of the workers running now. */
  List<Integer> workerPorts() {
    return workers.stream().map(workerPorts::get).toList();
  }

  /** Ends the worker whose id ({@code lease_owner} of its jobs) is {@code id}, as kill -9 would. */
  void killWorkerNamed(String id) throws InterruptedException {
    Process worker = workersById.remove(id);
    if (worker == null) {
      throw new IllegalArgumentException("no running worker " + id);
    }
    workers.remove(worker);
    worker.destroyForcibly().waitFor();
  }

  /**
   * Sends SIGTERM to the worker whose id is {@code id}, as an orchestrator stopping it would, and
   * waits up to {@code atMost} for it to exit. Answers its exit code, or empty when it was still
   * running then (it is killed).
   */
  OptionalInt terminateWorkerNamed(String id, Duration atMost) throws InterruptedException {
    Process worker = workersById.remove(id);
    if (worker == null) {
      throw new IllegalArgumentException("no running worker " + id);
    }
    workers.remove(worker);
    worker.destroy();
    if (worker.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
      return OptionalInt.of(worker.exitValue());
    }
    worker.destroyForcibly().waitFor();
    return OptionalInt.empty();
  }

  /** The ids ({@code lease_owner} of their jobs) of the workers running now. */
  List<String> workerIds() {
    return List.copyOf(workersById.keySet());
  }

  /** The log files of every worker started so far, ended ones included. */
  List<Path> workerLogs() {
    List<Path> files = new ArrayList<>();
    for (int i = 1; i <= workersStarted; i++) {
      files.add(logs.resolve(logPrefix + "worker-" + i + ".log"));
    }
    return files;
  }

  /** Stops the api with SIGTERM and waits for it to exit; answers its exit code. */
  int terminateApi() throws InterruptedException {
    api.destroy();
    return api.waitFor();
  }

  /** Starts the api again, on the same port, after {@link #terminateApi}. */
  void restartApi() {
    api = launch("api-restarted", Map.of("LLMQ_API_PORT", String.valueOf(apiPort)));
    awaitReady(apiPort, api);
  }

  /** Every line of a process's log ({@code worker-1}, {@code api}, …) so far. */
  List<String> logLines(String name) throws IOException {
    return Files.readAllLines(logs.resolve(logPrefix + name + ".log"));
  }

  /** The lines of a process's log ({@code worker-1}, {@code api}, …) that are at level ERROR. */
  List<String> errorLines(String name) throws IOException {
    return Files.readAllLines(logs.resolve(logPrefix + name + ".log")).stream()
        .filter(line -> line.contains(" ERROR ") || line.contains("\"level\":\"ERROR\""))
        .toList();
  }

  /** Ends the newest worker the hard way, as a crash or {@code kill -9} would. */
  void killWorker() throws InterruptedException {
    Process worker = workers.remove(workers.size() - 1);
    workersById.values().remove(worker);
    worker.destroyForcibly().waitFor();
  }

  private Process launch(String name, Map<String, String> extra) {
    String module = name.replaceFirst("-.*$", "");
    Path jar = root.resolve(module + "/target/quarkus-app/quarkus-run.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: package the modules first");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", jar.toString()))
            .redirectErrorStream(true)
            .redirectOutput(logs.resolve(logPrefix + name + ".log").toFile());
    builder.environment().putAll(env);
    builder.environment().putAll(extra);
    try {
      return builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name, e);
    }
  }

  private void awaitReady(int port, Process process) {
    awaitReady(port, process, "/q/health/ready");
  }

  private void awaitReady(int port, Process process, String path) {
    Awaitility.await("ready on port " + port + " (logs in " + logs + ")")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> ready(port, process, path));
  }

  private static boolean ready(int port, Process process, String path) {
    if (!process.isAlive()) {
      throw new IllegalStateException("a process exited at start-up");
    }
    try {
      HttpURLConnection connection =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
      connection.setConnectTimeout(500);
      return connection.getResponseCode() == 200;
    } catch (IOException notYet) {
      return false;
    }
  }

  @Override
  public void close() {
    List<Process> all = new ArrayList<>(workers);
    all.addAll(moreApis);
    all.add(api);
    all.add(simulator);
    all.addAll(moreSimulators);
    for (Process process : all) {
      if (process != null) {
        process.destroy();
      }
    }
    for (Process process : all) {
      if (process != null) {
        stopped(process);
      }
    }
    services.deleteTopology().accept(queue);
  }

  /** Waits a while for a process that was asked to stop, then ends it the hard way. */
  private static void stopped(Process process) {
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static Infrastructure shared() {
    TestServices services = TestServices.get();
    return new Infrastructure(
        services.freshDatabase(databaseName()),
        services.pgUser(),
        services.pgPassword(),
        services.rabbitHost(),
        services.rabbitPort(),
        services.redisUrl(),
        services::deleteTopology);
  }

  /**
   * The database of the run: {@code llmq_e2e}, or {@code <LLMQ_TEST_DB>_e2e}, so that checkouts
   * that set {@code LLMQ_TEST_DB} apart can run their end-to-end tests side by side.
   */
  private static String databaseName() {
    String name = System.getenv("LLMQ_TEST_DB");
    return name == null || name.isBlank() ? "llmq_e2e" : name + "_e2e";
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
