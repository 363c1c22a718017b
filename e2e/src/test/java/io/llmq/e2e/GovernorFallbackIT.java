package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.TcpRelay;
import io.llmq.common.testing.TestServices;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * While Redis is unreachable the workers together stay within the provider's limit. Five worker
 * processes count each other in the live-worker registry; then their Redis goes away (a relay in
 * front of it is cut; the api keeps its Redis) and a flood of jobs arrives; once the workers govern
 * alone, the provider's bucket is spent down to a few calls' worth. Each worker has its part of the
 * fallback share, so what the provider (the simulator, which counts what its limiter admits) admits
 * over the next 30 s stays within what its limit refills in that time, and it refuses nothing. With
 * a fixed quarter of each limit per worker, as before the registry, five workers would take 125 %
 * of it.
 */
class GovernorFallbackIT {

  private static final int WORKERS = 5;
  private static final long TOKENS_PER_MINUTE = 60_000;
  private static final int MAX_TOKENS = 400;
  private static final int JOBS = 150;
  private static final Duration OUTAGE = Duration.ofSeconds(30);

  /**
   * Tokens left in the provider's bucket when the measured outage starts: five calls' worth, since
   * each worker may start one call at once at any moment (after that, one per its share's refill).
   */
  private static final long KEEP = 2_500;

  private static LlmqProcesses system;
  private static TcpRelay relay;
  private static String key;

  @BeforeAll
  static void start() {
    URI redis = URI.create(TestServices.get().redisUrl());
    relay = new TcpRelay(redis.getHost(), redis.getPort());
    system =
        new LlmqProcesses()
            .with("LLMQ_SIMULATOR_TOKENS_PER_MINUTE", String.valueOf(TOKENS_PER_MINUTE))
            .with("LLMQ_OPENAI_TOKENS_PER_MINUTE", String.valueOf(TOKENS_PER_MINUTE))
            .withWorkers("LLMQ_GOVERNOR_PRESENCE_INTERVAL", "1s")
            // The workers reach Redis through the relay; the api directly.
            .withWorkers("LLMQ_REDIS_URL", "redis://127.0.0.1:" + relay.port());
    system.start(WORKERS);
    String tenant = admin("/v1/admin/tenants", "id");
    key = admin("/v1/admin/tenants/" + tenant + "/keys", "key");
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
    if (relay != null) {
      relay.close();
    }
  }

  private static String admin(String path, String field) {
    return given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(Map.of("name", "fallback"))
        .post(path)
        .then()
        .statusCode(201)
        .extract()
        .path(field);
  }

  @Test
  void workersWithoutRedisTogetherStayWithinTheProvidersLimit() throws Exception {
    // Every worker has counted the five (more, should others share this Redis) and been counted.
    Awaitility.await("the workers counted each other")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> system.workerIds().stream().allMatch(GovernorFallbackIT::counted));
    double together =
        system.workerIds().stream()
            .mapToDouble(id -> system.workerMetric(id, "llmq_governor_fallback_share"))
            .sum();
    assertTrue(together <= 0.9 + 1e-9, "the shares add up to " + together);

    relay.cut();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> submits =
          IntStream.range(0, JOBS)
              .<Future<?>>mapToObj(i -> clients.submit(() -> submit("fallback job " + i)))
              .toList();
      for (Future<?> submitted : submits) {
        submitted.get();
      }
    } finally {
      clients.shutdown();
    }
    // The workers govern alone, with far more jobs in hand than their shares admit.
    Awaitility.await("calls admitted without Redis")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> system.simulatorStat("requests") >= 2 * WORKERS);
    long left = spendTheProvidersBucket();
    given().baseUri(system.simulatorUrl()).post("/stats/reset").then().statusCode(200);
    Awaitility.await("no 429 through the outage")
        .during(OUTAGE)
        .atMost(OUTAGE.plusSeconds(10))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() ->
            assertEquals(0, system.simulatorStat("rate_limited"), "calls the provider refused"));

    JsonPath stats =
        given().baseUri(system.simulatorUrl()).get("/stats").then().extract().jsonPath();
    double seconds = stats.getDouble("elapsed_seconds");
    long admitted = stats.getLong("tokens_charged");
    double refill = TOKENS_PER_MINUTE / 60.0 * seconds;
    System.out.printf(
        "governor fallback: %d workers (shares adding up to %.3f), %.1f s without Redis: %d"
            + " tokens admitted in %d calls, the limit allowed %.0f; %d refused%n",
        WORKERS,
        together,
        seconds,
        admitted,
        stats.getLong("requests"),
        left + refill,
        stats.getLong("rate_limited"));
    assertEquals(0, stats.getLong("rate_limited"));
    assertTrue(
        admitted <= left + refill,
        admitted + " tokens admitted in " + seconds + " s; the limit allowed " + (left + refill));
    // And the workers took the shares they counted (0.9 together), not the margin of workers the
    // others have not counted (0.1 / 4 each, 0.125 for five).
    assertTrue(
        admitted >= 0.6 * together * refill,
        admitted + " tokens admitted in " + seconds + " s at shares adding up to " + together);
  }

  /** Whether a worker has counted every worker of the test and takes its part of 0.9. */
  private static boolean counted(String id) {
    double live = system.workerMetric(id, "llmq_workers_live");
    double share = system.workerMetric(id, "llmq_governor_fallback_share");
    return live >= WORKERS && Math.abs(share - 0.9 / live) < 1e-9;
  }

  /**
   * Spends the provider's token bucket for the workers' key, with calls of its own, down to {@link
   * #KEEP} tokens, as the shared bucket may be spent when Redis goes away; answers the tokens left.
   */
  private static long spendTheProvidersBucket() {
    long remaining = callTheProvider(1);
    return callTheProvider(remaining - KEEP - 10);
  }

  /** A call with the workers' key; the tokens its bucket has left after it. */
  private static long callTheProvider(long maxTokens) {
    String left =
        given()
            .baseUri(system.simulatorUrl())
            .header("Authorization", "Bearer " + LlmqProcesses.OPENAI_KEY)
            .contentType(ContentType.JSON)
            .body(
                "{\"model\":\"gpt-4o-mini\",\"max_tokens\":"
                    + maxTokens
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"spend\"}]}")
            .post("/v1/chat/completions")
            .then()
            .statusCode(200)
            .extract()
            .header("x-ratelimit-remaining-tokens");
    return Long.parseLong(left);
  }

  private static void submit(String prompt) {
    given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":"
                + MAX_TOKENS
                + ",\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt
                + "\"}]}}")
        .post("/v1/jobs")
        .then()
        .statusCode(202);
  }
}
