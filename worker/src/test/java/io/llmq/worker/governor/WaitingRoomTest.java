package io.llmq.worker.governor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.governor.QueuePositions;
import io.llmq.common.governor.ShareWeights;
import io.llmq.common.job.JobView;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The governor's waiting room in the real Redis: calls start at once while nobody waits, wait in
 * fair order between tenants by weight and by priority within one, a tenant held back by its own
 * limit lets the others pass, a cold bucket lets one probe through until headers teach it, and
 * after a 429 waiting calls are released as the provider refills, not together.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class WaitingRoomTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Inject WaitingRoom room;
  @Inject QueuePositions positions;
  @Inject ShareWeights weights;
  @Inject ReactiveRedisDataSource redis;

  private Governor governor;
  private String provider;
  private Governor.Bucket bucket;

  @BeforeEach
  void freshLane() {
    provider = "room-test-" + UUID.randomUUID();
    governor =
        new Governor(
            redis,
            new TestGovernorConfig(),
            () -> Duration.ofSeconds(2),
            new SimpleMeterRegistry(),
            () -> 0.25);
  }

  /** A warm bucket (known, as if headers had taught it) of {@code tpm} tokens a minute. */
  private Governor.Bucket warm(long tpm, long rpm) {
    Governor.Bucket warm = Governor.provider(provider, tpm, rpm);
    enter(UUID.randomUUID(), UUID.randomUUID(), 1, 1, 1, warm);
    governor.learn(warm, RateLimitSnapshot.NONE, null).await().atMost(WAIT);
    return warm;
  }

  private static String suffix() {
    return UUID.randomUUID().toString().substring(24);
  }

  /** The provider says nothing remains. */
  private void spend() {
    RateLimitSnapshot empty = new RateLimitSnapshot(null, null, null, null, 0L, null, null);
    governor.learn(bucket, empty, null).await().atMost(WAIT);
  }

  private WaitingRoom.Answer enter(
      UUID job, UUID tenant, double weight, int rank, long tokens, Governor.Bucket... buckets) {
    return room.enter(
            provider,
            new WaitingRoom.Ask(job, tenant, weight, rank, tokens, List.of(buckets), bucket, 0))
        .await()
        .atMost(WAIT);
  }

  /** Takes grants as the room allows, asking every few milliseconds, until {@code count}. */
  private List<UUID> drain(int count, List<Long> at) {
    List<UUID> granted = new ArrayList<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> {
          room.take(provider)
              .await()
              .atMost(WAIT)
              .jobId()
              .ifPresent(job -> {
                granted.add(job);
                at.add(System.nanoTime());
              });
          return granted.size() >= count;
        });
    return granted;
  }

  @Test
  void aCallThatFitsStartsAtOnceWhileNobodyWaits() {
    bucket = warm(60_000, 0);
    assertTrue(enter(UUID.randomUUID(), UUID.randomUUID(), 1, 1, 1_000, bucket).go());
    // 59,500 would leave less than nothing: that one waits, about half a second for the refill.
    UUID tenant = UUID.randomUUID();
    WaitingRoom.Answer big = enter(UUID.randomUUID(), tenant, 1, 1, 59_500, bucket);
    assertFalse(big.go());
    assertEquals(0, big.ahead());
    assertTrue(big.waitMs() > 0 && big.waitMs() <= 600, "wait " + big.waitMs());
    // Someone waits: a small call of the same tenant that would fit waits behind it.
    WaitingRoom.Answer small = enter(UUID.randomUUID(), tenant, 1, 1, 10, bucket);
    assertFalse(small.go());
    assertEquals(1, small.ahead());
  }

  @Test
  void equalWeightsTakeTurnsAndWeightsSetTheShares() {
    bucket = warm(60_000, 0); // 1,000 tokens a second
    spend();
    UUID flooder = UUID.randomUUID();
    UUID late = UUID.randomUUID();
    UUID heavy = UUID.randomUUID();
    Map<UUID, UUID> tenantOf = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      UUID job = UUID.randomUUID();
      tenantOf.put(job, flooder);
      assertFalse(enter(job, flooder, 1, 1, 100, bucket).go());
    }
    for (int i = 0; i < 10; i++) {
      UUID job = UUID.randomUUID();
      tenantOf.put(job, late);
      enter(job, late, 1, 1, 100, bucket);
      job = UUID.randomUUID();
      tenantOf.put(job, heavy);
      enter(job, heavy, 2, 1, 100, bucket);
    }
    List<UUID> order = drain(20, new ArrayList<>());
    Map<UUID, Integer> served = new HashMap<>();
    order.forEach(job -> served.merge(tenantOf.get(job), 1, Integer::sum));
    // Of the first 20 grants, weights 1 : 1 : 2 give 5 : 5 : 10, however long the flood's backlog.
    assertEquals(5, served.get(flooder), served.toString());
    assertEquals(5, served.get(late), served.toString());
    assertEquals(10, served.get(heavy), served.toString());
  }

  @Test
  void aWeightTheAdminChangesAppliesToCallsAlreadyWaiting() {
    bucket = warm(60_000, 0);
    spend();
    UUID light = UUID.randomUUID();
    UUID heavy = UUID.randomUUID();
    Map<UUID, UUID> tenantOf = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      for (UUID tenant : List.of(light, heavy)) {
        UUID job = UUID.randomUUID();
        tenantOf.put(job, tenant);
        enter(job, tenant, 1, 1, 100, bucket);
      }
    }
    weights.publish(heavy, 3).await().atMost(WAIT);
    Map<UUID, Integer> served = new HashMap<>();
    drain(8, new ArrayList<>()).forEach(job -> served.merge(tenantOf.get(job), 1, Integer::sum));
    assertEquals(2, served.get(light), served.toString());
    assertEquals(6, served.get(heavy), served.toString());
  }

  @Test
  void priorityOrdersATenantsOwnCalls() {
    bucket = warm(600_000, 0);
    spend();
    UUID tenant = UUID.randomUUID();
    UUID low = UUID.randomUUID();
    UUID normal = UUID.randomUUID();
    UUID high = UUID.randomUUID();
    enter(low, tenant, 1, 2, 100, bucket);
    enter(normal, tenant, 1, 1, 100, bucket);
    enter(high, tenant, 1, 0, 100, bucket);
    assertEquals(List.of(high, normal, low), drain(3, new ArrayList<>()));
  }

  @Test
  void aTenantHeldBackByItsOwnLimitLetsTheOthersPass() {
    bucket = warm(600_000, 0);
    spend();
    UUID limited = UUID.randomUUID();
    Governor.Bucket own = Governor.tenant(limited, 600); // 10 tokens a second
    UUID first = UUID.randomUUID();
    enter(first, limited, 1, 1, 500, bucket, own);
    UUID second = UUID.randomUUID();
    enter(second, limited, 1, 1, 500, bucket, own);
    UUID other = UUID.randomUUID();
    enter(other, UUID.randomUUID(), 1, 1, 500, bucket);
    // The first fits the tenant's full bucket; the second waits for it (50 s), the other does not.
    assertEquals(Set.of(first, other), Set.copyOf(drain(2, new ArrayList<>())));
  }

  @Test
  void aColdBucketLetsOneProbeThroughUntilHeadersTeachIt() {
    bucket = Governor.provider(provider, 60_000, 0);
    UUID probe = UUID.randomUUID();
    assertTrue(enter(probe, UUID.randomUUID(), 1, 1, 1_000, bucket).go());
    // Its level is unknown until the probe answers: the next call waits.
    assertFalse(enter(UUID.randomUUID(), UUID.randomUUID(), 1, 1, 1_000, bucket).go());
    // The provider says 2,500 remain: two more calls fit, not the full bucket it never saw.
    RateLimitSnapshot said = new RateLimitSnapshot(null, null, null, null, 2_500L, null, null);
    governor.learn(bucket, said, null).await().atMost(WAIT);
    List<UUID> granted = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      UUID job = UUID.randomUUID();
      enter(job, UUID.randomUUID(), 1, 1, 1_000, bucket);
    }
    for (int i = 0; i < 3; i++) {
      room.take(provider).await().atMost(WAIT).jobId().ifPresent(granted::add);
    }
    assertEquals(2, granted.size(), "the waiting one and one more fit in 2,500");
  }

  /**
   * A probe that never ran (its job was cancelled, or had ended when its grant came) teaches
   * nothing: the next call probes at once instead of waiting out the probe's 15 s.
   */
  @Test
  void aProbeThatNeverRanLetsTheNextCallProbe() {
    bucket = Governor.provider(provider, 60_000, 0);
    assertTrue(enter(UUID.randomUUID(), UUID.randomUUID(), 1, 1, 1_000, bucket).go());
    UUID waiting = UUID.randomUUID();
    assertFalse(enter(waiting, UUID.randomUUID(), 1, 1, 1_000, bucket).go());
    // The first probe's call did not happen: refunded, it lets the waiting call be the probe.
    governor
        .refund(
            new Reservation(
                List.of(bucket.key()), null, 1_000, System.currentTimeMillis(), true, false))
        .await()
        .atMost(WAIT);
    assertEquals(Optional.of(waiting), room.take(provider).await().atMost(WAIT).jobId());
    // Its job had ended: the grant is forgotten, and with it the probe.
    assertTrue(room.forget(provider, waiting).await().atMost(WAIT));
    assertTrue(enter(UUID.randomUUID(), UUID.randomUUID(), 1, 1, 1_000, bucket).go());
  }

  @Test
  void afterA429WaitingCallsAreReleasedAsTheProviderRefills() {
    bucket = warm(300_000, 0); // 5,000 tokens a second: 50 calls of 100 a second
    List<UUID> jobs = new ArrayList<>();
    governor.learn(bucket, RateLimitSnapshot.NONE, Duration.ofSeconds(10)).await().atMost(WAIT);
    long pausedAt = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      UUID job = UUID.randomUUID();
      jobs.add(job);
      assertFalse(enter(job, UUID.randomUUID(), 1, 1, 100, bucket).go());
    }
    List<Long> at = new ArrayList<>();
    assertEquals(200, drain(200, at).size());
    assertTrue(at.get(0) - pausedAt >= Duration.ofMillis(9_900).toNanos(), "none before the pause");
    // No 100 ms window holds more than 5 % of the released calls.
    int most = 0;
    for (int i = 0, j = 0; i < at.size(); i++) {
      while (at.get(i) - at.get(j) >= Duration.ofMillis(100).toNanos()) {
        j++;
      }
      most = Math.max(most, i - j + 1);
    }
    assertTrue(most <= 10, most + " calls in one 100 ms window");
  }

  @Test
  void aWaitingJobKnowsItsPlaceAndWhenItShouldStart() {
    bucket = warm(60_000, 0); // 1,000 tokens a second
    spend();
    // Equal tags go in the order of the tenants' ids: the newcomer's sorts after.
    UUID tenant = UUID.fromString("00000000-0000-4000-8000-" + suffix());
    UUID other = UUID.fromString("ffffffff-0000-4000-8000-" + suffix());
    List<UUID> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      UUID job = UUID.randomUUID();
      jobs.add(job);
      enter(job, tenant, 1, 1, 1_000, bucket);
    }
    UUID newcomer = UUID.randomUUID();
    WaitingRoom.Answer answer = enter(newcomer, other, 1, 1, 1_000, bucket);
    // Equal weights: the newcomer goes after the first of the three, not after all of them.
    assertEquals(1, answer.ahead());
    // Two calls of 1,000 at 1,000 a second: 2 s, less what refilled since the bucket was spent.
    assertTrue(answer.waitMs() > 1_000 && answer.waitMs() <= 2_000, "wait " + answer.waitMs());
    JobView.Queue last = positions.of(jobs.get(2)).await().atMost(WAIT);
    assertEquals(3, last.position());
    long inMs = Duration.between(Instant.now(), last.estimatedStartAt()).toMillis();
    assertTrue(inMs > 2_500 && inMs <= 4_000, "estimated in " + inMs + " ms");
    // Nothing moved since they were told; a pause of 20 s moves every estimate.
    assertEquals(List.of(), room.moved(provider, Duration.ofSeconds(5)).await().atMost(WAIT));
    governor.learn(bucket, RateLimitSnapshot.NONE, Duration.ofSeconds(20)).await().atMost(WAIT);
    assertEquals(4, room.moved(provider, Duration.ofSeconds(5)).await().atMost(WAIT).size());
    assertEquals(new JobView.Queue(0, null), positions.of(UUID.randomUUID()).await().atMost(WAIT));
  }

  @Test
  void aForgottenGrantGivesItsCapacityBack() {
    bucket = warm(60_000, 0);
    spend();
    UUID job = UUID.randomUUID();
    enter(job, UUID.randomUUID(), 1, 1, 1_000, bucket);
    assertEquals(List.of(job), drain(1, new ArrayList<>()));
    assertTrue(room.forget(provider, job).await().atMost(WAIT));
    // The 1,000 came back: another 1,000 fits at once.
    assertTrue(enter(UUID.randomUUID(), UUID.randomUUID(), 1, 1, 1_000, bucket).go());
  }

  /** The defaults, with no headroom, so the arithmetic is exact. */
  private static final class TestGovernorConfig implements GovernorConfig {
    public boolean enabled() {
      return true;
    }

    public double fallbackShare() {
      return 0.9;
    }

    public int expectedWorkers() {
      return 4;
    }

    public Duration presenceInterval() {
      return Duration.ofSeconds(3);
    }

    public Duration maxHold() {
      return Duration.ofSeconds(30);
    }

    public double headroom() {
      return 0;
    }

    public Duration defaultPause() {
      return Duration.ofSeconds(1);
    }
  }
}
