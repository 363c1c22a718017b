package io.llmq.worker.cancel;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.messaging.JobNotices;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.ProductionLikeProfile;
import io.llmq.worker.TestJobs;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Cancelling a job its worker holds: running (the upstream call is aborted and what it used is
 * charged) or waiting for capacity (the wait ends and the reservation goes back). The test cancels
 * as the api does: a version-checked update of the row, then a notice on {@link
 * JobNotices#CANCELLED}.
 */
@QuarkusTest
@TestProfile(ProductionLikeProfile.class)
@QuarkusTestResource(LlmqTestResource.class)
class CancelTest {

  private final TestJobs jobs = new TestJobs();
  private final ObjectMapper json = new ObjectMapper();

  @Inject EventLog log;
  @Inject ReactiveRedisDataSource redis;

  private void cancel(UUID job) {
    assertTrue(jobs.cancel(job), "the job was still live");
    redis
        .pubsub(String.class)
        .publish(JobNotices.CANCELLED, job.toString())
        .await()
        .atMost(Duration.ofSeconds(5));
  }

  private List<JobEvent> events(UUID job) {
    return log.after(job, 0, 10_000).await().atMost(Duration.ofSeconds(5));
  }

  private int deltaTokens(List<JobEvent> events) throws Exception {
    int tokens = 0;
    for (JobEvent event : events) {
      if (JobEvent.DELTA.equals(event.type())) {
        tokens = json.readTree(event.data()).path("completion_tokens").asInt();
      }
    }
    return tokens;
  }

  @Test
  void aRunningJobCancelledByItsTenantHasItsCallAbortedAndIsAccountedForWhatItUsed()
      throws Exception {
    double noticesBefore = metric("llmq_jobs_cancel_notices_total");
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queued(
            tenant, "gpt-4o-mini", "a long answer [[sim delay_ms=60000]] [[sim tokens=3000]]", 3);
    jobs.publish(job, tenant);
    // Some output has streamed: the call is under way.
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> events(job).stream().filter(e -> e.type().equals(JobEvent.DELTA)).count() >= 3);
    int streamedBeforeCancel = deltaTokens(events(job));

    cancel(job);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> jobs.row(job).get("terminal_event_id") != null);

    assertTrue(metric("llmq_jobs_cancel_notices_total") > noticesBefore, "the notice stopped it");
    Map<String, Object> row = jobs.row(job);
    assertEquals("cancelled", row.get("status"));
    assertNull(row.get("result"));
    int prompt = (Integer) row.get("prompt_tokens");
    int completion = (Integer) row.get("completion_tokens");
    assertTrue(prompt > 0, "the prompt is charged");
    assertTrue(completion >= streamedBeforeCancel, "the output streamed is charged");
    assertTrue(completion < 3000, "the call stopped early");
    assertEquals(prompt + completion, row.get("total_tokens"));
    // The simulator answered (no key for gpt-4o-mini here): the usage counts, the cost is 0. A
    // priced call cancelled mid-stream is CostShieldIT's.
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) row.get("cost_usd")));
    Map<String, Object> attempt =
        jobs.rows("SELECT * FROM usage_ledger WHERE job_id = '" + job + "'").get(0);
    assertEquals("aborted", attempt.get("outcome"));
    assertEquals(prompt, attempt.get("prompt_tokens"));
    assertEquals(completion, attempt.get("completion_tokens"));

    List<JobEvent> events = events(job);
    JobEvent done = events.getLast();
    assertEquals(JobEvent.DONE, done.type());
    JsonNode end = json.readTree(done.data());
    assertEquals("cancelled", end.path("status").asText());
    assertEquals(completion, end.path("usage").path("completion_tokens").asInt());
    assertTrue(deltaTokens(events) <= completion, "every piece of output streamed is charged");
  }

  @Test
  void aJobWaitingForCapacityIsLetGoWhenCancelledAndItsReservationGoesBack() {
    double noticesBefore = metric("llmq_jobs_cancel_notices_total");
    // 600 tokens a minute (10 a second). The first job takes some; the second reserves more than
    // is left and waits about 9 s, holding its message (max-hold is 30 s here).
    UUID tenant = jobs.tenant(600);
    UUID first = jobs.queued(tenant, "llmq-sim", "first", 1, 50);
    jobs.publish(first, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "succeeded".equals(jobs.status(first)));
    UUID waiting = jobs.queued(tenant, "llmq-sim", "second", 1, 640);
    jobs.publish(waiting, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> tenantTokens(tenant) < 0);

    cancel(waiting);
    // Refunded: the bucket holds the second job's reservation again.
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> tenantTokens(tenant) > 300);
    assertTrue(
        metric("llmq_jobs_cancel_notices_total") > noticesBefore, "the notice ended the wait");
    assertEquals("cancelled", jobs.status(waiting));
    assertEquals(0, jobs.row(waiting).get("attempts"), "it never ran");
  }

  /** The tokens left in the tenant's governor bucket. */
  private double tenantTokens(UUID tenant) {
    var value = redis.execute("HGET", "llmq:governor:tenant:" + tenant, "t").await().indefinitely();
    return value == null ? 600 : Double.parseDouble(value.toString());
  }

  private static double metric(String name) {
    String metrics = given().get("/q/metrics").then().extract().asString();
    var matcher =
        java.util.regex.Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)").matcher(metrics);
    return matcher.find() ? Double.parseDouble(matcher.group(2)) : 0;
  }
}
