package io.llmq.worker.fallback;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs served by their model's fallback chain (SPEC §3 Fallbacks): when their attempts run out on
 * their model, when its circuit is open, when a 429 pauses it longer than the max wait; and not at
 * all when their tenant pins them to their model.
 */
@QuarkusTest
@TestProfile(FallbackProfile.class)
@QuarkusTestResource(LlmqTestResource.class)
class FallbackTest {

  private static final String FAILS_AT_A = "[[sim fail=upstream_error]] [[sim fail_at=fbt-a]]";

  private final TestJobs jobs = new TestJobs();

  @Inject ReactiveRedisDataSource redis;

  @Inject EventLog log;

  @BeforeEach
  void closedCircuits() {
    for (String provider : List.of("fbt-a", "fbt-b", "fbt-c")) {
      redis
          .execute(
              "DEL", CircuitBreaker.PREFIX + provider, CircuitBreaker.PREFIX + provider + ":probes")
          .await()
          .indefinitely();
    }
    redis.execute("DEL", "llmq:governor:provider:fbt-p").await().indefinitely();
  }

  private void awaitStatus(UUID job, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status.equals(jobs.status(job)));
  }

  private List<Map<String, Object>> attempts(UUID job) {
    return jobs.rows(
        "SELECT attempt, provider, model, outcome FROM usage_ledger WHERE job_id = '"
            + job
            + "' ORDER BY attempt");
  }

  @Test
  void attemptsThatRunOutOnItsModelMoveTheJobOnToTheNextModelOfItsChain() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "fbt-main", "exhausted " + FAILS_AT_A, 2);
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");

    Map<String, Object> row = jobs.row(job);
    assertEquals("fbt-main", row.get("model"), "the job's model stays the one it asked for");
    assertEquals("fbt-b", row.get("served_provider"));
    assertEquals("fbt-backup", row.get("served_model"));
    assertEquals("fbt-backup", row.get("route_model"));
    assertEquals(3, row.get("attempts"), "two on its own model, then one on the fallback");
    List<Map<String, Object>> attempts = attempts(job);
    assertEquals(3, attempts.size());
    assertEquals("fbt-main", attempts.get(0).get("model"));
    assertEquals("failed", attempts.get(1).get("outcome"));
    assertEquals("fbt-a", attempts.get(1).get("provider"));
    assertEquals("fbt-backup", attempts.get(2).get("model"), "priced as the serving model");
    assertEquals("fbt-b", attempts.get(2).get("provider"));
    assertEquals("succeeded", attempts.get(2).get("outcome"));
    assertTrue(
        metric("llmq_fallbacks_total", "reason=\"attempts_exhausted\"", "to=\"fbt-backup\"") >= 1);
  }

  @Test
  void anOpenCircuitSendsTheJobStraightToTheFallbackWithoutCallingItsModel() {
    openCircuit("fbt-a", Duration.ofMinutes(1));
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "fbt-main", "the primary is out", 2);
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");

    Map<String, Object> row = jobs.row(job);
    assertEquals("fbt-backup", row.get("served_model"));
    assertEquals(1, row.get("attempts"));
    assertNull(row.get("route_model"), "an open circuit is decided again at every attempt");
    List<Map<String, Object>> attempts = attempts(job);
    assertEquals(1, attempts.size());
    assertEquals("fbt-b", attempts.get(0).get("provider"));
    assertEquals("fbt-backup", attempts.get(0).get("model"));
    assertTrue(metric("llmq_fallbacks_total", "reason=\"circuit_open\"") >= 1);
  }

  @Test
  void theJobsStatusEventsShowTheFallbackWhileItRunsAndAtItsEnd() throws Exception {
    openCircuit("fbt-a", Duration.ofMinutes(1));
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "fbt-main", "watched [[sim delay_ms=300]]", 2);
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> jobs.row(job).get("terminal_event_id") != null);
    List<JobEvent> events = log.after(job, 0, 10_000).await().atMost(Duration.ofSeconds(10));
    ObjectMapper json = new ObjectMapper();
    JsonNode running = json.readTree(events.getFirst().data());
    assertEquals("running", running.path("status").asText());
    assertEquals("fbt-main", running.path("model").asText());
    assertEquals("fbt-backup", running.path("served_by").path("model").asText());
    assertEquals("fbt-b", running.path("served_by").path("provider").asText());
    JsonNode done = json.readTree(events.getLast().data());
    assertEquals("succeeded", done.path("status").asText());
    assertEquals("fbt-backup", done.path("served_by").path("model").asText());
  }

  @Test
  void withTwoModelsOutTheJobGoesToTheLastOfTheChain() {
    openCircuit("fbt-a", Duration.ofMinutes(1));
    openCircuit("fbt-b", Duration.ofMinutes(1));
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "fbt-main", "two are out", 2);
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");
    assertEquals("fbt-last", jobs.row(job).get("served_model"));
    assertEquals("fbt-c", jobs.row(job).get("served_provider"));
  }

  @Test
  void aPauseLongerThanTheMaxWaitSendsTheJobToTheFallback() {
    // A 429 paused fbt-p for two minutes, far past the 5 s max wait: nobody calls it meanwhile.
    long until = System.currentTimeMillis() + Duration.ofMinutes(2).toMillis();
    redis
        .execute("HSET", "llmq:governor:provider:fbt-p", "pause", Long.toString(until))
        .await()
        .indefinitely();
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "fbt-paused", "the provider is paused", 1);
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");

    Map<String, Object> row = jobs.row(job);
    assertEquals("fbt-paused", row.get("model"));
    assertEquals("fbt-backup", row.get("served_model"));
    assertEquals(1, row.get("attempts"));
    assertEquals("fbt-b", attempts(job).get(0).get("provider"));
    assertTrue(metric("llmq_fallbacks_total", "reason=\"paused\"", "from=\"fbt-paused\"") >= 1);
  }

  @Test
  void aTenantThatPinsItsJobsGetsNoFallbackAndTheJobFailsOnItsModel() {
    UUID tenant = jobs.tenant();
    jobs.update("UPDATE tenants SET fallbacks = 'off' WHERE id = '" + tenant + "'");
    UUID job = jobs.queued(tenant, "fbt-main", "pinned " + FAILS_AT_A, 2);
    jobs.publish(job, tenant);
    awaitStatus(job, "failed");

    Map<String, Object> row = jobs.row(job);
    assertEquals("upstream_error", row.get("error_code"));
    assertNull(row.get("served_model"));
    assertNull(row.get("route_model"));
    assertEquals(2, row.get("attempts"));
    assertTrue(attempts(job).stream().allMatch(attempt -> "fbt-a".equals(attempt.get("provider"))));
  }

  @Test
  void aPinnedJobWaitsOutAnOpenCircuitThenProbesAndClosesIt() {
    UUID tenant = jobs.tenant();
    jobs.update("UPDATE tenants SET fallbacks = 'off' WHERE id = '" + tenant + "'");
    openCircuit("fbt-a", Duration.ofSeconds(2));
    UUID job = jobs.queued(tenant, "fbt-main", "waits for the probe", 2);
    jobs.publish(job, tenant);
    // Held back while open, without an attempt; then it is the half-open circuit's probe.
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.outboxDueIn(job).isPresent());
    assertEquals(0, jobs.row(job).get("attempts"));
    awaitStatus(job, "succeeded");

    assertEquals("fbt-main", jobs.row(job).get("served_model"));
    assertEquals("fbt-a", jobs.row(job).get("served_provider"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> "closed".equals(circuitState("fbt-a")));
    assertTrue(
        metric("llmq_circuit_transitions_total", "provider=\"fbt-a\"", "to=\"closed\"") >= 1);
  }

  @Test
  void transientFailuresInARowOpenTheCircuitAndLaterJobsSkipTheModel() {
    UUID tenant = jobs.tenant();
    UUID failing = jobs.queued(tenant, "fbt-main", "three in a row " + FAILS_AT_A, 3);
    jobs.publish(failing, tenant);
    awaitStatus(failing, "succeeded");
    assertEquals("open", circuitState("fbt-a"));
    assertEquals(2.0, metric("llmq_circuit_state", "provider=\"fbt-a\""));

    UUID next = jobs.queued(tenant, "fbt-main", "after the outage", 1);
    jobs.publish(next, tenant);
    awaitStatus(next, "succeeded");
    assertEquals("fbt-backup", jobs.row(next).get("served_model"));
    assertEquals(1, attempts(next).size());
  }

  private void openCircuit(String provider, Duration duration) {
    long until = System.currentTimeMillis() + duration.toMillis();
    redis
        .execute(
            "HSET",
            CircuitBreaker.PREFIX + provider,
            "state",
            "open",
            "failures",
            "0",
            "until",
            Long.toString(until))
        .await()
        .indefinitely();
  }

  private String circuitState(String provider) {
    var state =
        redis.execute("HGET", CircuitBreaker.PREFIX + provider, "state").await().indefinitely();
    return state == null ? "closed" : state.toString();
  }

  /** The first sample of {@code name} whose tags hold every one of {@code tags}. */
  static double metric(String name, String... tags) {
    String metrics = given().get("/q/metrics").then().extract().asString();
    var matcher =
        java.util.regex.Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)").matcher(metrics);
    while (matcher.find()) {
      String found = matcher.group(1) == null ? "" : matcher.group(1);
      boolean all = true;
      for (String tag : tags) {
        all &= found.contains(tag);
      }
      if (all) {
        return Double.parseDouble(matcher.group(2));
      }
    }
    return 0;
  }
}
