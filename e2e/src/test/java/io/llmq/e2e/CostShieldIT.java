package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import com.sun.net.httpserver.HttpServer;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cost shield as a paying user meets it: the packaged api and two workers, the simulator
 * standing in for OpenAI (so prices are real: gpt-4o at $2.50 / $10 per million tokens), budgets
 * that concurrent jobs on two replicas cannot overspend, every attempt in the ledger, a tenant's
 * concurrency cap across both workers, and budget alerts.
 */
class CostShieldIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String PROMPT = "Write two lines about a careful budget";
  private static final int MAX_TOKENS = 50;

  private static LlmqProcesses system;
  private static HttpServer receiver;
  private static final List<Received> alerts = new CopyOnWriteArrayList<>();

  private record Received(HttpHeaders headers, String body) {}

  @BeforeAll
  static void start() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/alerts",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          Map<String, List<String>> headers = exchange.getRequestHeaders();
          alerts.add(new Received(HttpHeaders.of(headers, (a, b) -> true), body));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    system = new LlmqProcesses().with("LLMQ_WEBHOOKS_ALLOW_INSECURE", "true");
    system.start(2);
    RestAssured.port = system.apiPort();
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  @BeforeEach
  void fastUpstream() {
    simulator("{\"time_to_first_token\":20,\"tokens_per_second\":2000,\"error_rate\":0}");
  }

  @Test
  void twoHundredConcurrentJobsOnTwoWorkersNeverSpendMoreThanTheBudget() throws Exception {
    Tenant tenant = tenant("race", Map.of("monthly_budget_usd", budgetFor(40)));
    given().baseUri(system.simulatorUrl()).post("/stats/reset").then().statusCode(200);

    List<CompletableFuture<HttpResponse<String>>> submits = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      submits.add(HTTP.sendAsync(submitRequest(tenant.key(), body(PROMPT)), ofString()));
    }
    List<String> accepted = new ArrayList<>();
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> submit : submits) {
      HttpResponse<String> answer = submit.get();
      if (answer.statusCode() == 202) {
        accepted.add(JSON.readTree(answer.body()).path("id").asText());
      } else {
        assertEquals(402, answer.statusCode(), answer.body());
        assertEquals("budget_exceeded", JSON.readTree(answer.body()).path("code").asText());
        refused++;
      }
    }
    List<JsonNode> jobs = awaitTerminal(tenant.key(), accepted, Duration.ofSeconds(120));

    BigDecimal spent = BigDecimal.ZERO;
    int succeeded = 0;
    for (JsonNode job : jobs) {
      spent = spent.add(job.path("cost_usd").decimalValue());
      if ("succeeded".equals(job.path("status").asText())) {
        succeeded++;
      } else {
        assertEquals("failed", job.path("status").asText(), job.toString());
        assertEquals("budget_exceeded", job.path("error").path("code").asText(), job.toString());
        assertEquals(0, calls(job.path("id").asText()), "a refused job made no upstream call");
      }
    }
    BigDecimal budget = budgetFor(40);
    System.out.printf(
        "budget race: %d accepted, %d refused at submit, %d succeeded, spent %s of %s (%.3f)%n",
        accepted.size(),
        refused,
        succeeded,
        spent,
        budget,
        spent.doubleValue() / budget.doubleValue());
    assertTrue(spent.compareTo(budget) <= 0, "spent " + spent + " of " + budget);
    assertTrue(succeeded >= 36, succeeded + " succeeded");
    assertEquals(200, accepted.size() + refused);

    long upstream = simulatorStat("requests");
    long ledgerCalls =
        (Long)
            system
                .rows(
                    "SELECT count(*) AS n FROM usage_ledger WHERE kind = 'call' AND tenant_id = '"
                        + tenant.id()
                        + "'")
                .get(0)
                .get("n");
    assertEquals(upstream, ledgerCalls, "every upstream call has its ledger row");
    assertBudgetRow(tenant.id(), spent);
    assertUsageAgrees(tenant.key(), spent, ledgerCalls);

    // The workers' Prometheus counters of cost, by tenant and model, add up to the same spend.
    double counted = 0;
    List<String> samples = new ArrayList<>();
    for (int port : system.workerPorts()) {
      String metrics =
          given().port(port).get("/q/metrics").then().statusCode(200).extract().asString();
      metrics.lines().filter(line -> line.startsWith("llmq_cost_usd")).forEach(samples::add);
      counted +=
          metrics
              .lines()
              .filter(line -> line.startsWith("llmq_cost_usd_total{"))
              .filter(line -> line.contains("tenant=\"" + tenant.id() + "\""))
              .filter(line -> line.contains("model=\"gpt-4o\""))
              .mapToDouble(CostShieldIT::sampleValue)
              .sum();
    }
    assertEquals(spent.doubleValue(), counted, 1e-9, samples.toString());
  }

  @Test
  void failedAttemptsAreInTheLedgerAndReleaseTheirReservation() throws Exception {
    Tenant tenant = tenant("failing", Map.of("monthly_budget_usd", budgetFor(10)));
    simulator("{\"error_rate\":1}");
    String id = submit(tenant.key(), body(PROMPT, ",\"max_attempts\":2"));
    JsonNode job = awaitTerminal(tenant.key(), List.of(id), Duration.ofSeconds(60)).get(0);
    assertEquals("failed", job.path("status").asText());
    assertEquals("upstream_error", job.path("error").path("code").asText());
    assertEquals(0, BigDecimal.ZERO.compareTo(job.path("cost_usd").decimalValue()));
    List<Map<String, Object>> attempts = ledger(id);
    assertEquals(2, attempts.size());
    for (Map<String, Object> attempt : attempts) {
      assertEquals("failed", attempt.get("outcome"));
      assertEquals("upstream_error", attempt.get("error_code"));
      assertEquals(true, attempt.get("settled"));
    }
    assertBudgetRow(tenant.id(), BigDecimal.ZERO);
  }

  @Test
  void aJobCancelledMidCallIsChargedItsPromptAndStreamedOutput() throws Exception {
    Tenant tenant = tenant("cancel", Map.of("monthly_budget_usd", budgetFor(10)));
    simulator("{\"tokens_per_second\":10}");
    String id = submit(tenant.key(), body(PROMPT));
    // Running for a second: some output has streamed (10 tokens a second).
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> runningFor(tenant.key(), id, Duration.ofSeconds(1)));
    given()
        .header("Authorization", "Bearer " + tenant.key())
        .post("/v1/jobs/" + id + "/cancel")
        .then()
        .statusCode(200);
    Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> ledger(id).stream().allMatch(row -> (Boolean) row.get("settled")));
    Map<String, Object> attempt = ledger(id).get(0);
    assertEquals("aborted", attempt.get("outcome"));
    assertTrue((Integer) attempt.get("completion_tokens") > 0, attempt.toString());
    BigDecimal cost = (BigDecimal) attempt.get("cost_usd");
    assertTrue(cost.signum() > 0);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> job(tenant.key(), id).path("cost_usd").isNumber());
    assertEquals(0, cost.compareTo(job(tenant.key(), id).path("cost_usd").decimalValue()));
    assertBudgetRow(tenant.id(), cost);
  }

  @Test
  void anAttemptLostWithAKilledWorkerIsCountedAtItsWorstCaseAndTheJobRunsAgain() throws Exception {
    Tenant tenant =
        tenant("killed", Map.of("monthly_budget_usd", budgetFor(10), "max_concurrent_jobs", 1));
    simulator("{\"tokens_per_second\":10}");
    String id = submit(tenant.key(), body(PROMPT));
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "running".equals(job(tenant.key(), id).path("status").asText()));
    // The tenant's one slot is taken: the next job waits for it, and gets it once the dead
    // worker's lease (and so its slot) lapses.
    String behind = submit(tenant.key(), body(PROMPT));
    String owner =
        (String)
            system
                .rows("SELECT lease_owner FROM jobs WHERE id = '" + id + "'")
                .get(0)
                .get("lease_owner");
    assertNotNull(owner);
    system.killWorkerNamed(owner);
    simulator("{\"tokens_per_second\":2000}");
    JsonNode job = awaitTerminal(tenant.key(), List.of(id), Duration.ofSeconds(60)).get(0);
    JsonNode next = awaitTerminal(tenant.key(), List.of(behind), Duration.ofSeconds(60)).get(0);
    system.startWorker();
    assertEquals("succeeded", next.path("status").asText());
    assertEquals("succeeded", job.path("status").asText());
    List<Map<String, Object>> attempts = ledger(id);
    assertEquals(2, attempts.size(), attempts.toString());
    assertEquals("lost", attempts.get(0).get("outcome"));
    assertEquals(
        0,
        ((BigDecimal) attempts.get(0).get("worst_usd"))
            .compareTo((BigDecimal) attempts.get(0).get("cost_usd")));
    assertEquals("succeeded", attempts.get(1).get("outcome"));
    BigDecimal total =
        ((BigDecimal) attempts.get(0).get("cost_usd"))
            .add((BigDecimal) attempts.get(1).get("cost_usd"));
    assertEquals(0, total.compareTo(job.path("cost_usd").decimalValue()));
    BigDecimal both = total.add(next.path("cost_usd").decimalValue());
    assertBudgetRow(tenant.id(), both);
  }

  @Test
  void aUsedUpBudgetIsRefusedAtSubmitAndFlushingRedisResetsNothing() throws Exception {
    Tenant tenant = tenant("flush", Map.of("monthly_budget_usd", budgetFor(10)));
    String id = submit(tenant.key(), body(PROMPT));
    BigDecimal cost =
        awaitTerminal(tenant.key(), List.of(id), Duration.ofSeconds(60))
            .get(0)
            .path("cost_usd")
            .decimalValue();
    // A budget of exactly what was spent is used up.
    BigDecimal budget = cost.setScale(6, RoundingMode.DOWN);
    patchLimits(tenant.id(), Map.of("monthly_budget_usd", budget));
    assertSubmitRefused(tenant.key());

    try (var redis = new java.net.Socket("127.0.0.1", 6379)) {
      redis.getOutputStream().write("FLUSHALL\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] reply = new byte[5];
      assertEquals(5, redis.getInputStream().read(reply));
      assertEquals("+OK\r\n", new String(reply, StandardCharsets.US_ASCII));
    }
    assertSubmitRefused(tenant.key());
    assertBudgetRow(tenant.id(), cost);
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertTrue(
        metrics
            .lines()
            .anyMatch(line ->
                line.startsWith("llmq_submits_refused_total")
                    && line.contains("reason=\"budget_exceeded\"")
                    && line.contains("tenant=\"" + tenant.id() + "\"")),
        "the refusals are counted by tenant");
  }

  @Test
  void maxConcurrentJobsHoldsAcrossBothWorkersAndAnotherTenantIsNotHeldUp() throws Exception {
    Tenant capped = tenant("capped", Map.of("max_concurrent_jobs", 2));
    Tenant other = tenant("other", Map.of());
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      jobs.add(
          submit(
              capped.key(),
              simBody("capped " + i + " [[sim delay_ms=600]]", ",\"cache\":\"bypass\"")));
    }
    AtomicInteger most = new AtomicInteger();
    String running =
        "SELECT count(*) AS n FROM jobs WHERE status = 'running' AND tenant_id = '"
            + capped.id()
            + "'";
    CompletableFuture<Void> sampling =
        CompletableFuture.runAsync(() -> {
          long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (System.nanoTime() < until) {
            int now = ((Long) system.rows(running).get(0).get("n")).intValue();
            most.accumulateAndGet(now, Math::max);
            if (jobs.stream().allMatch(id -> terminal(capped.key(), id))) {
              return;
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // the sampling interval
          }
        });
    String quick = submit(other.key(), simBody("not held up [[sim delay_ms=100]]", ""));
    JsonNode otherJob = awaitTerminal(other.key(), List.of(quick), Duration.ofSeconds(20)).get(0);
    assertEquals("succeeded", otherJob.path("status").asText());
    long stillQueued =
        jobs.stream()
            .filter(id -> "queued".equals(job(capped.key(), id).path("status").asText()))
            .count();
    assertTrue(stillQueued > 0, "the other tenant's job finished before the capped backlog");

    sampling.get();
    for (JsonNode job : awaitTerminal(capped.key(), jobs, Duration.ofSeconds(60))) {
      assertEquals("succeeded", job.path("status").asText());
    }
    assertTrue(most.get() <= 2, "at most 2 running at once, saw " + most.get());
    assertEquals(2, most.get(), "the cap is used, not just respected");
  }

  @Test
  void budgetAlertsArriveSignedOncePerThreshold() throws Exception {
    Tenant tenant = tenant("alerted", Map.of("monthly_budget_usd", budgetFor(8)));
    given()
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "alert_webhook_url",
                "http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts"))
        .patch("/v1/admin/tenants/" + tenant.id())
        .then()
        .statusCode(200);
    String secret =
        given()
            .header("Authorization", "Bearer " + tenant.key())
            .get("/v1/tenant")
            .then()
            .statusCode(200)
            .extract()
            .path("webhook_secret");
    // Run jobs one after another until the budget refuses one.
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> answer =
          HTTP.send(submitRequest(tenant.key(), body(PROMPT)), ofString());
      if (answer.statusCode() == 402) {
        break;
      }
      String id = JSON.readTree(answer.body()).path("id").asText();
      JsonNode job = awaitTerminal(tenant.key(), List.of(id), Duration.ofSeconds(30)).get(0);
      if ("failed".equals(job.path("status").asText())) {
        break;
      }
    }
    BigDecimal spent =
        (BigDecimal)
            system
                .rows(
                    "SELECT spent_usd FROM budget_months WHERE scope = 'tenant' AND scope_id = '"
                        + tenant.id()
                        + "'")
                .get(0)
                .get("spent_usd");
    BigDecimal budget = budgetFor(8);
    List<String> expected = new ArrayList<>();
    for (String threshold : List.of("0.5", "0.8", "1.0")) {
      if (spent.compareTo(budget.multiply(new BigDecimal(threshold))) >= 0) {
        expected.add(threshold);
      }
    }
    assertTrue(expected.size() >= 2, "spent " + spent + " of " + budget);
    // Each expected alert arrives, and no more of them for a while: once per threshold.
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .during(Duration.ofSeconds(2))
        .until(() -> mine(tenant.id()).size() == expected.size());
    List<Received> received = mine(tenant.id());
    Webhook verifier = new Webhook(secret);
    List<String> thresholds = new ArrayList<>();
    for (Received alert : received) {
      verifier.verify(alert.body(), alert.headers());
      JsonNode body = JSON.readTree(alert.body());
      assertEquals("budget.threshold", body.path("type").asText());
      JsonNode data = body.path("data");
      assertEquals(tenant.id(), data.path("tenant_id").asText());
      assertEquals(
          java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString(),
          data.path("month").asText());
      assertEquals(0, budget.compareTo(data.path("budget_usd").decimalValue()));
      thresholds.add(data.path("threshold").decimalValue().stripTrailingZeros().toPlainString());
      assertTrue(
          alert
              .headers()
              .firstValue("webhook-id")
              .orElseThrow()
              .startsWith("budget." + tenant.id()));
    }
    assertEquals(
        expected.stream()
            .map(t -> new BigDecimal(t).stripTrailingZeros().toPlainString())
            .sorted()
            .collect(Collectors.toList()),
        thresholds.stream().sorted().collect(Collectors.toList()));
  }

  @Test
  void aKeysOwnBudgetCapsItsJobsWhileItsTenantsOtherKeysGoOn() throws Exception {
    Tenant tenant = tenant("keyed", Map.of("monthly_budget_usd", budgetFor(100)));
    String capped =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "dev", "limits", Map.of("monthly_budget_usd", budgetFor(2))))
            .post("/v1/admin/tenants/" + tenant.id() + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
    int succeeded = 0;
    int refused = 0;
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> answer = HTTP.send(submitRequest(capped, body(PROMPT)), ofString());
      if (answer.statusCode() == 402) {
        refused++;
        continue;
      }
      String id = JSON.readTree(answer.body()).path("id").asText();
      JsonNode job = awaitTerminal(capped, List.of(id), Duration.ofSeconds(30)).get(0);
      if ("succeeded".equals(job.path("status").asText())) {
        succeeded++;
      } else {
        assertEquals("budget_exceeded", job.path("error").path("code").asText());
        assertEquals(0, calls(id));
        refused++;
      }
    }
    assertTrue(succeeded >= 1 && succeeded <= 2, succeeded + " succeeded under a 2-job budget");
    assertEquals(4, succeeded + refused);
    // The tenant's own key is not held by its sibling's budget.
    String other = submit(tenant.key(), body(PROMPT));
    assertEquals(
        "succeeded",
        awaitTerminal(tenant.key(), List.of(other), Duration.ofSeconds(30))
            .get(0)
            .path("status")
            .asText());
  }

  // --- helpers

  private record Tenant(String id, String key) {}

  private static Tenant tenant(String name, Map<String, Object> limits) {
    String id =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name, "limits", limits))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String key =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name))
            .post("/v1/admin/tenants/" + id + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
    return new Tenant(id, key);
  }

  private static void patchLimits(String tenantId, Map<String, Object> limits) {
    given()
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(Map.of("limits", limits))
        .patch("/v1/admin/tenants/" + tenantId)
        .then()
        .statusCode(200);
  }

  private static String body(String prompt) {
    return body(prompt, "");
  }

  /** A gpt-4o job (through the OpenAI adapter to the simulator), never answered from the cache. */
  private static String body(String prompt, String extra) {
    return "{\"request\":{\"model\":\"gpt-4o\",\"max_tokens\":"
        + MAX_TOKENS
        + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]},\"cache\":\"bypass\""
        + extra
        + "}";
  }

  private static String simBody(String prompt, String extra) {
    return "{\"request\":{\"model\":\"llmq-sim\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}"
        + extra
        + "}";
  }

  /**
   * A budget that fits {@code jobs} of {@link #body(String)}'s worst case and not one more, in the
   * budget's six decimals. The worst case, as llmq documents it: the message's JSON bytes plus 3 as
   * prompt tokens at gpt-4o's input price, {@code max_tokens} at its output price.
   */
  private static BigDecimal budgetFor(int jobs) {
    int promptBound =
        ("{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}")
                .getBytes(StandardCharsets.UTF_8)
                .length
            + 3;
    BigDecimal worst =
        new BigDecimal("2.50")
            .multiply(BigDecimal.valueOf(promptBound))
            .add(new BigDecimal("10.00").multiply(BigDecimal.valueOf(MAX_TOKENS)))
            .divide(BigDecimal.valueOf(1_000_000), 10, RoundingMode.CEILING);
    return worst.multiply(BigDecimal.valueOf(jobs)).setScale(6, RoundingMode.CEILING);
  }

  private static HttpRequest submitRequest(String key, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + system.apiPort() + "/v1/jobs"))
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static HttpResponse.BodyHandler<String> ofString() {
    return HttpResponse.BodyHandlers.ofString();
  }

  private static String submit(String key, String body) {
    return given()
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  private static void assertSubmitRefused(String key) {
    given()
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(body(PROMPT))
        .post("/v1/jobs")
        .then()
        .statusCode(402)
        .contentType("application/problem+json")
        .body("code", org.hamcrest.Matchers.equalTo("budget_exceeded"));
  }

  private static JsonNode job(String key, String id) {
    try {
      return JSON.readTree(
          given().header("Authorization", "Bearer " + key).get("/v1/jobs/" + id).asString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean runningFor(String key, String id, Duration enough) {
    JsonNode job = job(key, id);
    return "running".equals(job.path("status").asText())
        && java.time.Instant.parse(job.path("started_at").asText())
            .plus(enough)
            .isBefore(java.time.Instant.now());
  }

  private static boolean terminal(String key, String id) {
    String status = job(key, id).path("status").asText();
    return !"queued".equals(status) && !"running".equals(status);
  }

  private static List<JsonNode> awaitTerminal(String key, List<String> ids, Duration atMost) {
    Awaitility.await()
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> ids.stream().allMatch(id -> terminal(key, id)));
    // Their ends are accounted when they are terminal: the attempt settles before the status.
    return ids.stream().map(id -> job(key, id)).toList();
  }

  private static List<Map<String, Object>> ledger(String jobId) {
    return system.rows(
        "SELECT * FROM usage_ledger WHERE job_id = '" + jobId + "' ORDER BY attempt");
  }

  private static long calls(String jobId) {
    return ledger(jobId).stream().filter(row -> "call".equals(row.get("kind"))).count();
  }

  /** The tenant's budget row: spent what its jobs cost, nothing left reserved. */
  private static void assertBudgetRow(String tenantId, BigDecimal spent) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          Map<String, Object> row =
              system
                  .rows(
                      "SELECT spent_usd, reserved_usd FROM budget_months WHERE scope = 'tenant'"
                          + " AND scope_id = '"
                          + tenantId
                          + "'")
                  .get(0);
          assertEquals(0, spent.compareTo((BigDecimal) row.get("spent_usd")), row.toString());
          assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) row.get("reserved_usd")));
        });
  }

  /** {@code GET /v1/usage} adds up to the jobs: cost to the last digit, every call counted. */
  private static void assertUsageAgrees(String key, BigDecimal spent, long calls) throws Exception {
    JsonNode usage =
        JSON.readTree(
            given()
                .header("Authorization", "Bearer " + key)
                .queryParam("group_by", "model")
                .get("/v1/usage")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertEquals(0, spent.compareTo(usage.path("total").path("cost_usd").decimalValue()));
    assertEquals(calls, usage.path("total").path("requests").asLong());
  }

  /** The value of a Prometheus sample line: the first field after the labels. */
  private static double sampleValue(String line) {
    return Double.parseDouble(line.substring(line.indexOf('}') + 1).trim().split("\\s+")[0]);
  }

  private static List<Received> mine(String tenantId) {
    return alerts.stream().filter(alert -> alert.body().contains(tenantId)).toList();
  }

  private static void simulator(String settings) {
    system.simulator(settings);
  }

  private static long simulatorStat(String name) {
    return system.simulatorStat(name);
  }
}
