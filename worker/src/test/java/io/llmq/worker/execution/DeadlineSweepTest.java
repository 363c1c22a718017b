package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The deadline sweep ({@link DeadlineSweep}, every second here as by default) expires queued jobs
 * that hold no message: one parked for its tenant's slot, one put back for capacity until later.
 * Each ends as a worker's expiry ends a job: {@code done}, a webhook delivery, its slot handed on.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class DeadlineSweepTest {

  /** The sweep's interval, and room for a busy machine. */
  private static final Duration SWEPT_WITHIN = Duration.ofSeconds(5);

  private final TestJobs jobs = new TestJobs();
  private final ObjectMapper json = new ObjectMapper();

  @Inject EventLog log;

  private void awaitStatus(UUID job, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status.equals(jobs.status(job)));
  }

  private void deadline(UUID job, String when) {
    jobs.update("UPDATE jobs SET deadline_at = " + when + " WHERE id = '" + job + "'");
  }

  private boolean parked(UUID job) {
    return jobs.row(job).get("parked_at") != null;
  }

  @Test
  void aParkedJobExpiresAtItsDeadlineWithoutADeliveryAndTheJobAfterItStillRuns() throws Exception {
    UUID tenant = jobs.tenant();
    jobs.update("UPDATE tenants SET max_concurrent_jobs = 1 WHERE id = '" + tenant + "'");
    UUID holder = jobs.queued(tenant, "llmq-sim", "holds the slot [[sim delay_ms=20000]]", 1);
    jobs.publish(holder, tenant);
    awaitStatus(holder, "running");
    UUID late =
        jobs.queuedWithWebhook(tenant, "parked too long", "http://127.0.0.1:9/deadline-hook");
    jobs.publish(late, tenant);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> parked(late));
    UUID inTime = jobs.queued(tenant, "llmq-sim", "parked, in time", 1);
    deadline(inTime, "now() + interval '1 hour'");
    jobs.publish(inTime, tenant);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> parked(inTime));

    // Parked: its message is acknowledged, and nothing but the sweep brings it to an end now.
    assertTrue(jobs.outboxDueIn(late).isEmpty(), "a parked job has no message on its way");
    deadline(late, "now()");
    Awaitility.await().atMost(SWEPT_WITHIN).until(() -> "expired".equals(jobs.status(late)));

    Map<String, Object> row = jobs.row(late);
    assertEquals(0, row.get("attempts"));
    assertNull(row.get("started_at"));
    assertTrue(
        jobs.rows("SELECT id FROM usage_ledger WHERE job_id = '" + late + "'").isEmpty(),
        "no attempt");
    JobEvent done = announced(late);
    assertEquals(JobEvent.DONE, done.type());
    assertEquals("expired", json.readTree(done.data()).path("status").asText());
    // The delivery was written with the status; its first attempt fixes the body it sends.
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> webhookPayload(late).contains("\"job.expired\""));
    assertEquals("queued", jobs.status(inTime), "a job within its deadline is left waiting");

    assertTrue(jobs.cancel(holder));
    awaitStatus(inTime, "succeeded");
    assertEquals(1, jobs.row(inTime).get("attempts"));
  }

  @Test
  void aJobPutBackForCapacityExpiresBeforeItsMessageComesBack() throws Exception {
    // 120 tokens a minute (2 a second); each job reserves its prompt (~8) plus max_tokens 50.
    UUID tenant = jobs.tenant(120);
    UUID first = jobs.queued(tenant, "llmq-sim", "one", 1, 50);
    UUID second = jobs.queued(tenant, "llmq-sim", "two", 1, 50);
    UUID third = jobs.queued(tenant, "llmq-sim", "three", 1, 50);
    jobs.publish(first, tenant);
    awaitStatus(first, "succeeded");
    jobs.publish(second, tenant);
    awaitStatus(second, "succeeded");
    jobs.publish(third, tenant);
    // Some 15 s of refill short, past the test horizon (2 s): its message is due again later.
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.outboxDueIn(third).map(due -> due.toSeconds() >= 8).orElse(false));

    deadline(third, "now()");
    Awaitility.await().atMost(SWEPT_WITHIN).until(() -> "expired".equals(jobs.status(third)));

    assertTrue(
        jobs.outboxDueIn(third).map(due -> !due.isNegative()).orElse(false),
        "expired before its message came back");
    assertEquals(0, jobs.row(third).get("attempts"));
    assertEquals("expired", json.readTree(announced(third).data()).path("status").asText());
  }

  /** The job's last event, once its end is announced. */
  private JobEvent announced(UUID job) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.row(job).get("terminal_event_id") != null);
    List<JobEvent> events = log.after(job, 0, 10_000).await().atMost(Duration.ofSeconds(5));
    JobEvent last = events.getLast();
    assertEquals(((Number) jobs.row(job).get("terminal_event_id")).longValue(), last.id());
    return last;
  }

  private String webhookPayload(UUID job) {
    List<Map<String, Object>> rows =
        jobs.rows("SELECT payload FROM webhook_deliveries WHERE job_id = '" + job + "'");
    assertEquals(1, rows.size(), "one delivery");
    Object payload = rows.getFirst().get("payload");
    return payload == null ? "" : payload.toString();
  }
}
