package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.ProductionLikeProfile;
import io.llmq.worker.TestJobs;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A job that waits for the governor's capacity, holding its message (max-hold is 30 s here), is
 * expired by the deadline sweep when its deadline passes; the worker that holds it lets go at once
 * and gives its reservation back, instead of waiting out the wait.
 */
@QuarkusTest
@TestProfile(ProductionLikeProfile.class)
@QuarkusTestResource(LlmqTestResource.class)
class DeadlineWhileWaitingTest {

  private final TestJobs jobs = new TestJobs();

  @Inject ReactiveRedisDataSource redis;

  @Test
  void aJobWaitingForCapacityIsExpiredByTheSweepAndItsReservationGoesBack() {
    // 600 tokens a minute (10 a second). The first job takes some; the second reserves more than
    // is left and waits about 9 s, holding its message.
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

    jobs.update("UPDATE jobs SET deadline_at = now() WHERE id = '" + waiting + "'");
    // Expired by the sweep within a second or so, and refunded long before the wait would end.
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> "expired".equals(jobs.status(waiting)) && tenantTokens(tenant) > 300);
    assertEquals(0, jobs.row(waiting).get("attempts"), "it never ran");
    assertNull(jobs.row(waiting).get("started_at"));
    assertTrue(jobs.rows("SELECT id FROM usage_ledger WHERE job_id = '" + waiting + "'").isEmpty());
  }

  /** The tokens left in the tenant's governor bucket. */
  private double tenantTokens(UUID tenant) {
    var value = redis.execute("HGET", "llmq:governor:tenant:" + tenant, "t").await().indefinitely();
    return value == null ? 600 : Double.parseDouble(value.toString());
  }
}
