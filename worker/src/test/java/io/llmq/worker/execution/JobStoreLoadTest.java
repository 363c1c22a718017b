package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmq.common.job.Priority;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The inputs of fair share reach the worker with the job it loads: the job's priority and its
 * tenant's share weight as they stand in PostgreSQL at that moment, so an admin's change applies to
 * the next job loaded on any replica. No message is published: the jobs are only read.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class JobStoreLoadTest {

  private final TestJobs jobs = new TestJobs();

  @Inject JobStore store;

  private StoredJob load(UUID job) {
    return store.load(job).await().atMost(Duration.ofSeconds(10)).orElseThrow();
  }

  @Test
  void aJobIsLoadedWithItsPriorityAndItsTenantsShareWeight() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "llmq-sim", "weighed", 1);
    StoredJob plain = load(job);
    assertEquals(Priority.NORMAL, plain.priority());
    assertEquals(1.0, plain.shareWeight());

    jobs.update("UPDATE jobs SET priority = " + Priority.HIGH.rank() + " WHERE id = '" + job + "'");
    jobs.update("UPDATE tenants SET share_weight = 2.5 WHERE id = '" + tenant + "'");
    StoredJob changed = load(job);
    assertEquals(Priority.HIGH, changed.priority());
    assertEquals(2.5, changed.shareWeight());
  }

  /** The schema holds the api's bounds too: no other rank, no weight outside 0.01 to 1000. */
  @Test
  void theSchemaRefusesAnUnknownRankAndAWeightOutOfBounds() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "llmq-sim", "bounded", 1);
    for (String rank : new String[] {"-1", "3", "NULL"}) {
      assertThrows(
          IllegalStateException.class,
          () -> jobs.update("UPDATE jobs SET priority = " + rank + " WHERE id = '" + job + "'"),
          rank);
    }
    for (String weight : new String[] {"0", "0.009", "1000.5", "-1", "NULL", "'NaN'"}) {
      assertThrows(
          IllegalStateException.class,
          () ->
              jobs.update(
                  "UPDATE tenants SET share_weight = " + weight + " WHERE id = '" + tenant + "'"),
          weight);
    }
    assertEquals(Priority.NORMAL, load(job).priority());
    assertEquals(1.0, load(job).shareWeight());
  }
}
