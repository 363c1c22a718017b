package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.pricing.Price;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fallback chains and the shared circuit breaker, with the packaged api and two workers (SPEC §3
 * Fallbacks). {@code gpt-4o-mini} (the {@code openai} provider, on the first simulator) falls back
 * to {@code claude-haiku-4-5} (the {@code anthropic} provider, on a second simulator), which costs
 * several times more. An outage of the first opens its circuit for both workers, jobs are served
 * and priced by the fallback, and once the outage ends a probe closes the circuit again; a 429 that
 * pauses the first longer than the max wait sends the job to the fallback too.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FallbackIT {

  private static final Price HAIKU = new Price(new BigDecimal("1.00"), new BigDecimal("5.00"));
  private static final Price MINI = new Price(new BigDecimal("0.15"), new BigDecimal("0.60"));

  private static LlmqProcesses system;
  private static String backupUrl;
  private static String key;

  @BeforeAll
  static void start() {
    system = new LlmqProcesses();
    backupUrl = system.startAnotherSimulator();
    system
        .with("LLMQ_ANTHROPIC_BASE_URL", backupUrl)
        .with("LLMQ_MODELS_GPT_4O_MINI_FALLBACKS", "claude-haiku-4-5")
        .with("LLMQ_FALLBACKS_MAX_WAIT", "2s")
        .with("LLMQ_FALLBACKS_CIRCUIT_FAILURES_TO_OPEN", "3")
        .with("LLMQ_FALLBACKS_CIRCUIT_OPEN_DURATION", "15s")
        .with("LLMQ_WORKER_RETRY_MAXIMUM_INTERVAL", "500ms");
    system.start(2);
    String tenant = admin("/v1/admin/tenants", Map.of("name", "fallback"), "id");
    key = admin("/v1/admin/tenants/" + tenant + "/keys", Map.of("name", "fallback"), "key");
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  @Test
  @Order(1)
  void anOutageOpensTheCircuitForBothWorkersAndAProbeClosesItWhenItEnds() {
    system.simulator("{\"outage\": true}");
    JsonPath first = awaitEnd(submit("the first job of the outage", 3));
    assertEquals("succeeded", first.getString("status"));
    assertEquals("gpt-4o-mini", first.getString("model"), "the job keeps the model it asked for");
    assertEquals("anthropic", first.getString("served_by.provider"));
    assertEquals("claude-haiku-4-5", first.getString("served_by.model"));
    assertEquals(4, first.getInt("attempts"), "three on its model, then the fallback");
    assertPricedAs(HAIKU, first);
    long outageCalls = system.simulatorStat("requests");
    assertTrue(outageCalls >= 3, "the failed attempts called the first provider");

    // Open for both workers: no job calls the first provider while the circuit is open.
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      jobs.add(submit("during the outage " + i, 3));
    }
    for (String id : jobs) {
      JsonPath job = awaitEnd(id);
      assertEquals("claude-haiku-4-5", job.getString("served_by.model"));
      assertEquals(1, job.getInt("attempts"), "straight to the fallback");
      assertPricedAs(HAIKU, job);
    }
    assertEquals(outageCalls, system.simulatorStat("requests"), "the open circuit let no call go");
    for (String worker : system.workerIds()) {
      assertEquals(
          2.0,
          metric(worker, "llmq_circuit_state", "provider=\"openai\""),
          worker + " sees it open");
    }
    double servedOpen =
        system.workerIds().stream().mapToDouble(worker -> fallbacks(worker, "circuit_open")).sum();
    assertTrue(servedOpen >= 8, "fallbacks counted for circuit_open: " + servedOpen);

    // The outage ends: after the open duration one probe goes, answers, and closes the circuit.
    system.simulator("{\"outage\": false}");
    Awaitility.await("a job served by its own model again")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(() ->
            "gpt-4o-mini"
                .equals(awaitEnd(submit("after the outage", 3)).getString("served_by.model")));
    for (int i = 0; i < 4; i++) {
      JsonPath job = awaitEnd(submit("closed again " + i, 3));
      assertEquals("openai", job.getString("served_by.provider"));
      assertEquals("gpt-4o-mini", job.getString("served_by.model"));
      assertPricedAs(MINI, job);
    }
    double closed =
        system.workerIds().stream()
            .mapToDouble(worker -> system.workerMetric(worker, "llmq_circuit_transitions_total"))
            .sum();
    assertTrue(closed >= 3, "open, half-open and closed were counted: " + closed);
  }

  @Test
  @Order(2)
  void aPauseLongerThanTheMaxWaitSendsTheJobToTheFallback() {
    // Two tokens a second for the workers' key, spent: the next call gets a 429 that asks for
    // far longer than the 2 s max wait, and the governor pauses the provider for that long.
    system.simulator("{\"tokens_per_minute\": 120}");
    given()
        .baseUri(system.simulatorUrl())
        .header("Authorization", "Bearer " + LlmqProcesses.OPENAI_KEY)
        .contentType(ContentType.JSON)
        .body(
            "{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"spend\"}]}")
        .post("/v1/chat/completions")
        .then()
        .statusCode(200);
    long refusedBefore = system.simulatorStat("rate_limited");

    JsonPath job = awaitEnd(submit("paused by a 429", 3));
    assertEquals("succeeded", job.getString("status"));
    assertEquals("claude-haiku-4-5", job.getString("served_by.model"));
    assertEquals(2, job.getInt("attempts"), "the 429, then the fallback without waiting it out");
    assertPricedAs(HAIKU, job);
    assertEquals(refusedBefore + 1, system.simulatorStat("rate_limited"));
    double paused =
        system.workerIds().stream().mapToDouble(worker -> fallbacks(worker, "paused")).sum();
    assertTrue(paused >= 1, "a fallback counted for paused");
  }

  /** The job's cost is its usage at {@code price}, and not at the other model's. */
  private static void assertPricedAs(Price price, JsonPath job) {
    int prompt = job.getInt("usage.prompt_tokens");
    int completion = job.getInt("usage.completion_tokens");
    BigDecimal cost = new BigDecimal(job.getString("cost_usd"));
    assertEquals(0, price.costOf(prompt, completion).compareTo(cost), "cost_usd " + cost);
    Price other = price == HAIKU ? MINI : HAIKU;
    assertNotEquals(0, other.costOf(prompt, completion).compareTo(cost));
  }

  private static double fallbacks(String worker, String reason) {
    return metric(worker, "llmq_fallbacks_total", "reason=\"" + reason + "\"");
  }

  /** The sum of a worker's samples of {@code name} whose tags hold {@code tag}. */
  private static double metric(String worker, String name, String tag) {
    String text =
        given().port(system.workerPort(worker)).get("/q/metrics").then().extract().asString();
    return text.lines()
        .filter(line -> line.startsWith(name + "{"))
        .filter(line -> line.contains(tag))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static String submit(String prompt, int maxAttempts) {
    return given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":40,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt
                + "\"}]},\"max_attempts\":"
                + maxAttempts
                + ",\"cache\":\"bypass\"}")
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  private static JsonPath awaitEnd(String id) {
    return Awaitility.await("job " + id + " ends")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                given()
                    .port(system.apiPort())
                    .header("Authorization", "Bearer " + key)
                    .queryParam("wait_seconds", 10)
                    .get("/v1/jobs/" + id)
                    .then()
                    .extract()
                    .jsonPath(),
            job -> !List.of("queued", "running").contains(job.getString("status")));
  }

  private static String admin(String path, Map<String, String> body, String field) {
    return given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(body)
        .post(path)
        .then()
        .statusCode(201)
        .extract()
        .path(field);
  }
}
