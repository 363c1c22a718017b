package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.restassured.http.ContentType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fault suite: the packaged api and two workers, the simulator standing in for OpenAI, and
 * PostgreSQL, RabbitMQ and Redis of the suite's own ({@link PrivateServices}), because it restarts
 * them and the machine's shared ones serve other suites at the same time. While jobs with webhooks
 * flow, one fault after another: a worker killed with SIGKILL mid-call three times, a worker
 * stopped with SIGTERM, RabbitMQ stopped and started, Redis restarted empty (no persistence) and
 * then killed and recovered from its append-only file, PostgreSQL crashed (immediate shutdown) and
 * started again. After each the system must settle and pass {@link NoLossCheck}: every accepted job
 * terminal, none completed twice, every webhook delivered at least once under one id, no spend
 * lost. Each fault is a test of its own, in order, so one that fails names itself and the others
 * still run. Nothing here times how fast llmq is: every wait is a generous bound on a condition.
 * The figures of each phase are printed and written to {@code e2e/target/fault-report.md}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultIT {

  /** Jobs a second while a fault is injected. */
  private static final double RATE = 5;

  private static final Duration SETTLE = Duration.ofSeconds(150);
  private static final Duration GRACE = Duration.ofSeconds(20);
  private static final Path LOGS =
      Path.of(System.getProperty("llmq.root", "..")).toAbsolutePath().resolve("e2e/target");

  private static PrivateServices services;
  private static LlmqProcesses system;
  private static WebhookReceiver receiver;
  private static JobFlow flow;
  private static NoLossCheck check;
  private static final List<String> accepted = new CopyOnWriteArrayList<>();
  private static final Map<String, Map<String, Object>> phases = new LinkedHashMap<>();
  private static long suiteStarted;
  private static double startupSeconds;

  /** Everything the suite started, ended also when the JVM is stopped before the suite ends. */
  private static final Thread cleanup = new Thread(FaultIT::closeAll, "fault-suite-cleanup");

  @BeforeAll
  static void start() throws Exception {
    List<String> missing = PrivateServices.missing();
    if (!missing.isEmpty()) {
      String why = "the fault suite needs " + String.join(", ", missing);
      if (System.getenv("CI") != null || "1".equals(System.getenv("LLMQ_FAULT_SUITE"))) {
        throw new IllegalStateException(why + " (see README, Tests and CI)");
      }
      Assumptions.abort(why + "; skipped (CI or LLMQ_FAULT_SUITE=1 make this a failure)");
    }
    suiteStarted = System.nanoTime();
    Runtime.getRuntime().addShutdownHook(cleanup);
    receiver = new WebhookReceiver();
    services = PrivateServices.start(LOGS.resolve("fault-services"));
    system =
        new LlmqProcesses("fault-", services.infrastructure())
            .with("LLMQ_WEBHOOKS_ALLOW_INSECURE", "true")
            // A delivery that fails while a service is down is tried again within seconds.
            .with("LLMQ_WEBHOOKS_RETRY_SCHEDULE", "1s,2s,3s,5s,8s,13s,21s,34s")
            .with("LLMQ_WORKER_SHUTDOWN_GRACE", GRACE.toSeconds() + "s");
    system.start(2);
    // Calls of about two seconds (40 tokens at 25 a second): a fault always meets some mid-call.
    system.simulator("{\"time_to_first_token\":100,\"tokens_per_second\":25}");
    io.restassured.RestAssured.port = system.apiPort();
    String tenant =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "fault", "limits", Map.of("monthly_budget_usd", 1000)))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String key =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "fault"))
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
    String secret =
        given()
            .header("Authorization", "Bearer " + key)
            .get("/v1/tenant")
            .then()
            .statusCode(200)
            .extract()
            .path("webhook_secret");
    flow = new JobFlow(system.apiPort(), key, receiver.url());
    check = new NoLossCheck(system, receiver, tenant, secret);
    startupSeconds = seconds(suiteStarted);
  }

  @AfterAll
  static void stop() throws IOException {
    closeAll();
    if (suiteStarted != 0) {
      Runtime.getRuntime().removeShutdownHook(cleanup);
      writeReport();
    }
  }

  private static synchronized void closeAll() {
    for (AutoCloseable part : new AutoCloseable[] {flow, system, services, receiver}) {
      if (part != null) {
        try {
          part.close();
        } catch (Exception e) {
          System.err.println("fault suite: closing failed: " + e);
        }
      }
    }
  }

  @Test
  @Order(1)
  void aWorkerKilledMidCallThreeTimesLosesNothing() throws Exception {
    long began = System.nanoTime();
    flow.start("kill", RATE);
    List<String> faults = new ArrayList<>();
    for (int kill = 1; kill <= 3; kill++) {
      Victim victim = awaitWorkerMidCall(Set.of());
      system.killWorkerNamed(victim.worker());
      faults.add("kill -9 " + victim.worker() + " with " + victim.calls() + " calls in flight");
      // Its replacement boots while the next victim is found: at times no worker runs at all.
      system.launchWorker();
    }
    system.awaitWorkersReady();
    flowOn(10);
    flow.stop();
    settleAndCheck("kill -9 x3", began, faults, true);
  }

  /**
   * SPEC §3 Shutdown: on SIGTERM a worker stops taking jobs, lets calls in flight finish within its
   * grace period, hands the rest back without spending an attempt, and exits 0. Jobs with {@code
   * max_attempts: 1} show it: one whose call was cut off, or whose attempt was spent on the way
   * out, could not run again and would fail.
   */
  @Test
  @Order(2)
  void aWorkerStoppedWithSigtermFinishesItsCallsAndExitsZero() throws Exception {
    long began = System.nanoTime();
    flow.start("sigterm", RATE);
    List<String> once = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      // Up to 200 tokens at 25 a second, about 4.5 s a call: well within the grace period.
      once.add(flow.submit(flow.pricedJob("sigterm once " + i, 200, Map.of("max_attempts", 1))));
    }
    accepted.addAll(once);
    Victim victim = awaitWorkerMidCall(Set.copyOf(once));
    List<String> inFlight = runningOn(victim.worker(), once);
    OptionalInt exit =
        system.terminateWorkerNamed(victim.worker(), GRACE.plus(Duration.ofSeconds(40)));
    system.startWorker();
    flowOn(10);
    flow.stop();
    List<String> faults =
        List.of(
            "SIGTERM "
                + victim.worker()
                + " with "
                + inFlight.size()
                + " max_attempts=1 calls in flight; exit "
                + (exit.isPresent() ? exit.getAsInt() : "none (killed after the grace)"));
    NoLossCheck.Report report = settle("SIGTERM", began, faults);
    Map<String, String> once1 = statuses(once);
    phases.get("SIGTERM").put("max_attempts_1_jobs", count(once1.values()));
    assertAll(
        "SIGTERM",
        () -> assertEquals(OptionalInt.of(0), exit, "SIGTERM: the worker exits 0 within its grace"),
        () ->
            assertEquals(
                Map.of(),
                notSucceeded(once1),
                "SIGTERM: max_attempts=1 jobs (in flight on the stopped worker: "
                    + inFlight
                    + ") all succeed; not succeeded"),
        () -> assertEquals(List.of(), report.violations(), "SIGTERM: the no-loss bar"));
  }

  @Test
  @Order(3)
  void aRabbitMqRestartLosesNothing() throws Exception {
    restart("RabbitMQ restart", services.rabbit::stop, services.rabbit::start, () -> "");
  }

  @Test
  @Order(4)
  void aRedisRestartThatLosesEveryKeyLosesNothing() throws Exception {
    PrivateRedis redis = services.redis;
    restart("Redis restart, no persistence", redis::stop, redis::start, FaultIT::redisKeys);
  }

  @Test
  @Order(5)
  void aRedisCrashRecoveredFromItsAppendOnlyFileLosesNothing() throws Exception {
    PrivateRedis redis = services.redis;
    redis.persist();
    restart(
        "Redis kill -9, append-only file",
        redis::crash,
        () -> redis.start(true),
        FaultIT::redisKeys);
  }

  @Test
  @Order(6)
  void aPostgresqlCrashAndRestartLosesNothing() throws Exception {
    restart(
        "PostgreSQL crash + restart", services.postgres::crash, services.postgres::start, () -> "");
  }

  // --- phases

  /**
   * A service stopped while jobs flow, left down a few seconds (the api keeps answering, queued
   * work waits), started again; jobs flow on until the apps have reconnected by themselves. {@code
   * state} describes the service before it stops and once it is back.
   */
  private void restart(String phase, Runnable stop, Runnable start, Supplier<String> state)
      throws Exception {
    long began = System.nanoTime();
    flow.start(phase, RATE);
    flowOn(10);
    String before = state.get();
    int acceptedBefore = flow.accepted().size();
    long down = System.nanoTime();
    stop.run();
    outage(Duration.ofSeconds(3));
    start.run();
    double outage = seconds(down);
    int acceptedMeanwhile = flow.accepted().size() - acceptedBefore;
    String after = state.get();
    flowOn(15);
    flow.stop();
    String fault =
        String.format(
            "down %.1f s (stop, 3 s, start), %d jobs accepted meanwhile%s",
            outage, acceptedMeanwhile, before.isEmpty() ? "" : "; " + before + " -> " + after);
    settleAndCheck(phase, began, List.of(fault), true);
  }

  private static String redisKeys() {
    return services.redis.keys() + " keys";
  }

  /** Waits for the flow to have {@code jobs} more accepted: it runs on, the api answering. */
  private static void flowOn(int jobs) {
    int target = flow.accepted().size() + jobs;
    Awaitility.await("the api accepts " + jobs + " more jobs (refused: " + flow.refused() + ")")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> flow.accepted().size() >= target);
  }

  /** The fault lasts this long: a span of time to let pass, not a condition to wait for. */
  private static void outage(Duration length) throws InterruptedException {
    Thread.sleep(length);
  }

  private record Victim(String worker, long calls) {}

  /**
   * A running worker with at least two calls in flight (of {@code among}, unless empty): jobs
   * running under its lease whose attempt is open in the ledger and started a moment ago.
   */
  private static Victim awaitWorkerMidCall(Set<String> among) {
    return Awaitility.await("a worker with calls in flight")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              Map<String, Long> calls =
                  system
                      .rows(
                          "SELECT j.id::text AS id, j.lease_owner FROM jobs j JOIN usage_ledger l"
                              + " ON l.job_id = j.id AND l.attempt = j.attempts AND NOT l.settled"
                              + " WHERE j.status = 'running' AND l.provider = 'openai'"
                              + " AND l.started_at < now() - interval '300 milliseconds'")
                      .stream()
                      .filter(row -> among.isEmpty() || among.contains(row.get("id")))
                      .collect(
                          Collectors.groupingBy(
                              row -> String.valueOf(row.get("lease_owner")),
                              Collectors.counting()));
              return calls.entrySet().stream()
                  .filter(entry -> system.workerIds().contains(entry.getKey()))
                  .filter(entry -> entry.getValue() >= 2)
                  .map(entry -> new Victim(entry.getKey(), entry.getValue()))
                  .findFirst()
                  .orElse(null);
            },
            victim -> victim != null);
  }

  private static List<String> runningOn(String worker, List<String> jobs) {
    return system
        .rows(
            "SELECT id::text AS id FROM jobs WHERE status = 'running' AND lease_owner = '"
                + worker
                + "'")
        .stream()
        .map(row -> (String) row.get("id"))
        .filter(jobs::contains)
        .toList();
  }

  private void settleAndCheck(String phase, long began, List<String> faults, boolean allSucceed) {
    NoLossCheck.Report report = settle(phase, began, faults);
    List<String> phaseJobs = flow.accepted();
    Map<String, String> notSucceeded = allSucceed ? notSucceeded(statuses(phaseJobs)) : Map.of();
    assertAll(
        phase,
        () -> assertEquals(List.of(), report.violations(), phase + ": the no-loss bar"),
        () ->
            assertEquals(
                Map.of(),
                notSucceeded,
                phase + ": every job of the phase succeeds; these did not"));
  }

  /** Waits for the system to settle and checks it; records the phase's figures. */
  private static NoLossCheck.Report settle(String phase, long began, List<String> faults) {
    List<String> phaseJobs = flow.accepted();
    accepted.addAll(phaseJobs);
    NoLossCheck.Report report = check.check(accepted, SETTLE);
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("faults", faults);
    figures.put("accepted", phaseJobs.size());
    figures.put("refused", flow.refused());
    figures.put("phase_outcomes", count(statuses(phaseJobs).values()));
    figures.putAll(report.figures());
    figures.put("violations", report.violations());
    figures.put("phase_s", seconds(began));
    phases.put(phase, figures);
    System.out.println("fault suite: " + phase + ": " + figures);
    return report;
  }

  private static Map<String, String> statuses(List<String> ids) {
    Map<String, String> statuses = new LinkedHashMap<>();
    if (ids.isEmpty()) {
      return statuses;
    }
    String list = ids.stream().map(id -> "'" + id + "'").collect(Collectors.joining(","));
    for (Map<String, Object> row :
        system.rows(
            "SELECT id::text AS id, status, error_code FROM jobs WHERE id IN (" + list + ")")) {
      String status = (String) row.get("status");
      statuses.put(
          (String) row.get("id"),
          row.get("error_code") == null ? status : status + " " + row.get("error_code"));
    }
    ids.forEach(id -> statuses.putIfAbsent(id, "missing"));
    return statuses;
  }

  private static Map<String, String> notSucceeded(Map<String, String> statuses) {
    Map<String, String> others = new LinkedHashMap<>();
    statuses.forEach((id, status) -> {
      if (!"succeeded".equals(status)) {
        others.put(id, status);
      }
    });
    return others;
  }

  private static Map<String, Long> count(java.util.Collection<String> values) {
    return values.stream()
        .collect(
            Collectors.groupingBy(value -> value, java.util.TreeMap::new, Collectors.counting()));
  }

  private static double seconds(long since) {
    return Math.round((System.nanoTime() - since) / 1e8) / 10.0;
  }

  private static void writeReport() throws IOException {
    StringBuilder report = new StringBuilder();
    report.append(
        String.format(
            "# Fault suite run%n%nTotal %.1f s (start-up of the private services, simulator, api"
                + " and two workers: %.1f s); %d jobs accepted.%n%n",
            seconds(suiteStarted), startupSeconds, accepted.size()));
    report.append("| phase | faults | accepted | refused | phase outcomes | checks | s |\n");
    report.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    phases.forEach((phase, figures) ->
        report.append(
            String.format(
                "| %s | %s | %s | %s | %s | %s | %s |%n",
                phase,
                figures.get("faults"),
                figures.get("accepted"),
                figures.get("refused"),
                figures.get("phase_outcomes"),
                ((List<?>) figures.get("violations")).isEmpty()
                    ? "pass"
                    : "FAIL " + figures.get("violations"),
                figures.get("phase_s"))));
    report.append("\n## Figures after each phase (whole run so far)\n\n");
    phases.forEach((phase, figures) ->
        report.append("- ").append(phase).append(": ").append(figures).append('\n'));
    Files.createDirectories(LOGS);
    Files.writeString(LOGS.resolve("fault-report.md"), report);
    System.out.println(report);
  }
}
