package io.llmq.worker.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.llmq.worker.provider.Providers;
import io.llmq.worker.provider.simulated.SimulatedProvider;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Jobs through the real worker (queue, executor, PostgreSQL, Redis) with the simulated provider,
 * whose calls for the test model {@value #MODEL} are counted: a cache hit or a single-flight
 * follower completes with no call of its own.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class CachedJobsTest {

  /** A simulated model priced like a real one, used by this class alone (test profile). */
  static final String MODEL = "llmq-sim-cache";

  private final TestJobs jobs = new TestJobs();

  @Inject Providers providers;

  private long calls() {
    return ((SimulatedProvider) providers.forModel(MODEL).orElseThrow().provider()).calls(MODEL);
  }

  private void awaitStatus(UUID job, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status.equals(jobs.status(job)));
  }

  private UUID run(UUID tenant, String prompt, String mode) {
    UUID job = jobs.queued(tenant, MODEL, prompt, 3);
    if (!mode.equals("default")) {
      jobs.update("UPDATE jobs SET cache_mode = '" + mode + "' WHERE id = '" + job + "'");
    }
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");
    return job;
  }

  private static String prompt() {
    return "cached jobs " + UUID.randomUUID();
  }

  @Test
  void aRepeatedRequestIsAnsweredFromTheCacheWithNoCallAndNoCost() {
    UUID tenant = jobs.tenant();
    String prompt = prompt();
    long before = calls();
    Map<String, Object> first = jobs.row(run(tenant, prompt, "default"));
    Map<String, Object> second = jobs.row(run(tenant, prompt, "default"));

    assertEquals(1, calls() - before);
    assertEquals(false, first.get("cached"));
    // The simulator answered the first (no key here): it cost nothing, so the hit saved nothing.
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) first.get("cost_usd")));
    assertNull(first.get("cost_saved_usd"));
    assertEquals(true, second.get("cached"));
    assertEquals("simulated", second.get("served_provider"));
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) second.get("cost_usd")));
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) second.get("cost_saved_usd")));
    Map<String, Object> hit =
        jobs.rows(
                "SELECT * FROM usage_ledger WHERE job_id = '"
                    + second.get("id")
                    + "' AND kind = 'cache_hit'")
            .get(0);
    assertEquals(1, hit.get("attempt"));
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) hit.get("cost_usd")));
    assertEquals(first.get("result").toString(), second.get("result").toString());
    for (String column : List.of("prompt_tokens", "completion_tokens", "total_tokens")) {
      assertEquals(first.get(column), second.get(column), column);
    }
    assertEquals(1, second.get("attempts"));
    assertEquals(2, second.get("version")); // claimed, then completed: queued → running → succeeded
    assertNull(second.get("lease_owner"));
  }

  @Test
  void anotherTenantsIdenticalRequestIsNotAnsweredFromTheCache() {
    String prompt = prompt();
    long before = calls();
    run(jobs.tenant(), prompt, "default");
    Map<String, Object> other = jobs.row(run(jobs.tenant(), prompt, "default"));
    assertEquals(2, calls() - before);
    assertEquals(false, other.get("cached"));
  }

  @Test
  void bypassCallsWithoutStoringAndRefreshCallsAndStores() {
    UUID tenant = jobs.tenant();
    String prompt = prompt();
    long before = calls();
    assertEquals(false, jobs.row(run(tenant, prompt, "bypass")).get("cached"));
    assertEquals(false, jobs.row(run(tenant, prompt, "default")).get("cached"));
    assertEquals(false, jobs.row(run(tenant, prompt, "bypass")).get("cached"));
    assertEquals(false, jobs.row(run(tenant, prompt, "refresh")).get("cached"));
    assertEquals(true, jobs.row(run(tenant, prompt, "default")).get("cached"));
    assertEquals(4, calls() - before);
  }

  @Test
  void identicalJobsInFlightTogetherMakeOneCall() {
    UUID tenant = jobs.tenant();
    String prompt = prompt() + " [[sim delay_ms=1500]]";
    long before = calls();
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(jobs.queued(tenant, MODEL, prompt, 3));
    }
    ids.forEach(id -> jobs.publish(id, tenant));
    ids.forEach(id -> awaitStatus(id, "succeeded"));

    assertEquals(1, calls() - before);
    long cached =
        ids.stream().filter(id -> Boolean.TRUE.equals(jobs.row(id).get("cached"))).count();
    assertEquals(19, cached);
  }

  @Test
  void aLeaderCancelledMidCallHandsTheCallToAFollower() {
    UUID tenant = jobs.tenant();
    String prompt = prompt() + " [[sim delay_ms=1500]]";
    long before = calls();
    UUID leader = jobs.queued(tenant, MODEL, prompt, 3);
    jobs.publish(leader, tenant);
    awaitStatus(leader, "running");
    List<UUID> followers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      followers.add(jobs.queued(tenant, MODEL, prompt, 3));
    }
    followers.forEach(id -> jobs.publish(id, tenant));
    assertTrue(jobs.cancel(leader));
    followers.forEach(id -> awaitStatus(id, "succeeded"));

    // The cancelled leader's call was abandoned; one follower called, the other two reused it.
    assertEquals("cancelled", jobs.status(leader));
    assertEquals(2, calls() - before);
    long cached =
        followers.stream().filter(id -> Boolean.TRUE.equals(jobs.row(id).get("cached"))).count();
    assertEquals(2, cached);
  }
}
