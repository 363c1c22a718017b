package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A job whose deadline passes while it waits for the governor's capacity is refused at its claim
 * and expires there, with its reservation given back and no attempt in the ledger; a job whose
 * deadline lies past its wait runs. The deadline sweep runs once an hour here, so the claim alone
 * decides.
 */
@QuarkusTest
@TestProfile(DeadlineAtClaimTest.ClaimOnly.class)
@QuarkusTestResource(LlmqTestResource.class)
class DeadlineAtClaimTest {

  /** The governor's production horizon (a job waits seconds holding its message); no sweep. */
  public static class ClaimOnly implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "llmq.governor.max-hold", "30s",
          "%test.llmq.governor.max-hold", "30s",
          "llmq.worker.deadline-sweep", "1h",
          "%test.llmq.worker.deadline-sweep", "1h");
    }
  }

  private final TestJobs jobs = new TestJobs();

  @Inject ReactiveRedisDataSource redis;

  private void awaitStatus(UUID job, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status.equals(jobs.status(job)));
  }

  @Test
  void aJobWhoseDeadlinePassesWhileItWaitsForCapacityNeverStarts() {
    // 600 tokens a minute (10 a second). The first job leaves ~540; the second reserves ~570 and
    // waits about 3 s, holding its message; its deadline passes a second into the wait.
    UUID tenant = jobs.tenant(600);
    UUID first = jobs.queued(tenant, "llmq-sim", "first", 1, 50);
    jobs.publish(first, tenant);
    awaitStatus(first, "succeeded");
    UUID late = jobs.queued(tenant, "llmq-sim", "second", 1, 560);
    jobs.update(
        "UPDATE jobs SET deadline_at = now() + interval '1 second' WHERE id = '" + late + "'");
    jobs.publish(late, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> tenantTokens(tenant) < 0);

    awaitStatus(late, "expired");
    Map<String, Object> row = jobs.row(late);
    assertEquals(0, row.get("attempts"), "it never ran");
    assertNull(row.get("started_at"));
    assertTrue(
        jobs.rows("SELECT id FROM usage_ledger WHERE job_id = '" + late + "'").isEmpty(),
        "the refused claim wrote no attempt");
    // The refused claim gave the reservation back: more than the bucket could refill by now.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> tenantTokens(tenant) > 300);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.row(late).get("terminal_event_id") != null);
  }

  @Test
  void aJobThatWaitsForCapacityWithinItsDeadlineRuns() {
    UUID tenant = jobs.tenant(600);
    UUID first = jobs.queued(tenant, "llmq-sim", "first", 1, 50);
    jobs.publish(first, tenant);
    awaitStatus(first, "succeeded");
    UUID inTime = jobs.queued(tenant, "llmq-sim", "second", 1, 560);
    jobs.update(
        "UPDATE jobs SET deadline_at = now() + interval '1 minute' WHERE id = '" + inTime + "'");
    jobs.publish(inTime, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> tenantTokens(tenant) < 0);

    awaitStatus(inTime, "succeeded");
    assertEquals(1, jobs.row(inTime).get("attempts"));
  }

  /** The tokens left in the tenant's governor bucket. */
  private double tenantTokens(UUID tenant) {
    var value = redis.execute("HGET", "llmq:governor:tenant:" + tenant, "t").await().indefinitely();
    return value == null ? 600 : Double.parseDouble(value.toString());
  }
}
