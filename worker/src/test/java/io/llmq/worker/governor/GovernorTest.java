package io.llmq.worker.governor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The governor's buckets in the real Redis: reservation, settlement, learning, pauses, outages. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class GovernorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A fallback share fixed at a quarter of each limit (LocalBucketsTest covers the shares). */
  private static final FallbackShare QUARTER = () -> 0.25;

  @Inject GovernorConfig config;
  @Inject ReactiveRedisDataSource redis;

  /** A governor whose horizon is far off, so the arithmetic tests see every charge. */
  private Governor governor;

  @BeforeEach
  void patientGovernor() {
    governor =
        new Governor(
            redis,
            settings(0, Duration.ofMinutes(10)),
            () -> Duration.ofSeconds(2),
            new SimpleMeterRegistry(),
            QUARTER);
  }

  private static Governor.Bucket bucket(long tpm, long rpm) {
    return Governor.provider("test-" + UUID.randomUUID(), tpm, rpm);
  }

  private long reserveMs(Governor on, Governor.Bucket bucket, long tokens) {
    return on.reserve(List.of(bucket), null, tokens).await().atMost(WAIT).delay().toMillis();
  }

  /** Asserts a wait within a few hundred milliseconds of what the arithmetic says. */
  private static void assertAbout(long expectedMs, long actualMs) {
    assertTrue(
        actualMs <= expectedMs && actualMs > expectedMs - 500,
        "expected about " + expectedMs + " ms, got " + actualMs);
  }

  @Test
  void aFullBucketAdmitsAtOnceThenWaitsAreServedInArrivalOrder() {
    Governor.Bucket bucket = bucket(6_000, 0); // 100 tokens a second
    assertEquals(0, reserveMs(governor, bucket, 6_000));
    assertAbout(6_000, reserveMs(governor, bucket, 600));
    assertAbout(9_000, reserveMs(governor, bucket, 300));
  }

  @Test
  void theRequestLimitAppliesOnItsOwn() {
    Governor.Bucket bucket = bucket(0, 60); // one request a second
    for (int i = 0; i < 60; i++) {
      assertEquals(0, reserveMs(governor, bucket, 1_000_000));
    }
    assertAbout(1_000, reserveMs(governor, bucket, 1));
  }

  @Test
  void settlementGivesBackWhatWasNotSpentAndARefundGivesBackEverything() {
    Governor.Bucket bucket = bucket(6_000, 0);
    Reservation whole = governor.reserve(List.of(bucket), null, 6_000).await().atMost(WAIT);
    // Reserved 6,000, the provider charged 3,000: 3,000 come back.
    governor.settle(whole, 3_000, 3_000).await().atMost(WAIT);
    assertEquals(0, reserveMs(governor, bucket, 2_900));
    Reservation next = governor.reserve(List.of(bucket), null, 600).await().atMost(WAIT);
    assertAbout(5_000, next.delay().toMillis());
    governor.refund(next).await().atMost(WAIT);
    assertAbout(5_000, reserveMs(governor, bucket, 600));
  }

  @Test
  void aTenantLimitAppliesOnTopOfTheProviders() {
    Governor.Bucket provider = bucket(600_000, 0);
    Governor.Bucket tenant = Governor.tenant(UUID.randomUUID(), 6_000);
    assertEquals(
        0,
        governor.reserve(List.of(provider), tenant, 6_000).await().atMost(WAIT).delay().toMillis());
    Reservation limited = governor.reserve(List.of(provider), tenant, 600).await().atMost(WAIT);
    assertAbout(6_000, limited.delay().toMillis());
  }

  @Test
  void headersTeachTheRealLimitAndTheRemainingBudget() {
    Governor.Bucket bucket = bucket(60_000, 0);
    assertEquals(0, reserveMs(governor, bucket, 100));
    RateLimitSnapshot said = new RateLimitSnapshot(null, null, null, 1_200L, 50L, null, null);
    governor.learn(bucket, said, null).await().atMost(WAIT);
    // Now 1,200 a minute (20 a second) with 50 left: 650 more means 600 in debt, 30 s.
    assertAbout(30_000, reserveMs(governor, bucket, 650));
  }

  @Test
  void a429PausesTheProviderForEveryReplica() {
    Governor.Bucket bucket = bucket(600_000, 0);
    Governor otherReplica =
        new Governor(
            redis,
            settings(0, Duration.ofMinutes(10)),
            () -> Duration.ofSeconds(2),
            new SimpleMeterRegistry(),
            QUARTER);
    governor.learn(bucket, RateLimitSnapshot.NONE, Duration.ofSeconds(5)).await().atMost(WAIT);
    assertAbout(5_000, reserveMs(otherReplica, bucket, 10));
  }

  @Test
  void withRedisFailingALocalShareOfTheLimitStandsInWithoutStalling() {
    Governor.Bucket bucket = bucket(6_000, 0);
    // A value of the wrong type under the bucket's key makes every script fail, as an outage would.
    redis.value(String.class).set(bucket.key(), "not a bucket").await().atMost(WAIT);
    // The local share is 25 % of 6,000: 1,500 a minute, 25 a second, from an empty bucket (no
    // burst: the shared one may have been spent when Redis went away).
    Reservation first = governor.reserve(List.of(bucket), null, 150).await().atMost(WAIT);
    assertTrue(first.local());
    assertAbout(6_000, first.delay().toMillis());
    assertAbout(12_000, reserveMs(governor, bucket, 150));
    governor.refund(first).await().atMost(WAIT);
    redis.key().del(bucket.key()).await().atMost(WAIT);
    assertFalse(governor.reserve(List.of(bucket), null, 1).await().atMost(WAIT).local());
  }

  @Test
  void anUpstreamBucketKeepsItsHeadroomUnspentAndATenantBucketDoesNot() {
    Governor keepsTenth =
        new Governor(
            redis,
            settings(0.1, Duration.ofMinutes(10)),
            () -> Duration.ofSeconds(2),
            new SimpleMeterRegistry(),
            QUARTER);
    Governor.Bucket provider = bucket(6_000, 0); // 100 tokens a second, 600 kept
    assertEquals(0, reserveMs(keepsTenth, provider, 5_400));
    // 60 more would dip into the 600 kept: they wait until the bucket is back above them.
    assertAbout(600, reserveMs(keepsTenth, provider, 60));
    Governor.Bucket tenant = Governor.tenant(UUID.randomUUID(), 6_000);
    assertEquals(
        0, keepsTenth.reserve(List.of(), tenant, 6_000).await().atMost(WAIT).delay().toMillis());
  }

  @Test
  void aModelsOwnLimitAppliesBesideItsProviders() {
    Governor.Bucket provider = bucket(600_000, 0);
    Governor.Bucket model = Governor.model("test", "m-" + UUID.randomUUID(), 6_000, 0);
    List<Governor.Bucket> both = List.of(provider, model);
    assertEquals(0, governor.reserve(both, null, 6_000).await().atMost(WAIT).delay().toMillis());
    Reservation limited = governor.reserve(both, null, 600).await().atMost(WAIT);
    assertAbout(6_000, limited.delay().toMillis());
    // Settlement and refunds reach both buckets.
    governor.refund(limited).await().atMost(WAIT);
    assertAbout(6_000, reserveMs(governor, model, 600));
  }

  @Test
  void aReservationPastTheHorizonChargesNothing() {
    Governor within2s =
        new Governor(
            redis,
            settings(0, Duration.ofSeconds(2)),
            () -> Duration.ofSeconds(2),
            new SimpleMeterRegistry(),
            QUARTER);
    Governor.Bucket bucket = bucket(6_000, 0); // 100 tokens a second
    assertEquals(0, reserveMs(within2s, bucket, 6_000));
    Reservation far = within2s.reserve(List.of(bucket), null, 600).await().atMost(WAIT);
    assertFalse(far.charged());
    assertAbout(6_000, far.delay().toMillis());
    // The 600 were not charged: 100 more wait one second, not seven.
    assertAbout(1_000, reserveMs(within2s, bucket, 100));
  }

  @Test
  void aCallTooBigForTheHorizonIsStillChargedFromAFullBucket() {
    Governor within2s =
        new Governor(
            redis,
            settings(0, Duration.ofSeconds(2)),
            () -> Duration.ofSeconds(2),
            new SimpleMeterRegistry(),
            QUARTER);
    Governor.Bucket bucket = bucket(6_000, 0);
    // 9,000 never fit a 6,000 bucket at once; from a full one they wait 30 s, the best there is.
    Reservation big = within2s.reserve(List.of(bucket), null, 9_000).await().atMost(WAIT);
    assertTrue(big.charged());
    assertAbout(30_000, big.delay().toMillis());
  }

  private GovernorConfig settings(double headroom, Duration horizon) {
    return new GovernorConfig() {
      public boolean enabled() {
        return true;
      }

      public double fallbackShare() {
        return config.fallbackShare();
      }

      public int expectedWorkers() {
        return config.expectedWorkers();
      }

      public Duration presenceInterval() {
        return config.presenceInterval();
      }

      public Duration maxHold() {
        return horizon;
      }

      public double headroom() {
        return headroom;
      }

      public Duration defaultPause() {
        return config.defaultPause();
      }
    };
  }

  @Test
  void noBucketsReserveNothing() {
    Reservation none = governor.reserve(List.of(), null, 1_000_000).await().atMost(WAIT);
    assertTrue(none.isEmpty());
    assertEquals(Duration.ZERO, none.delay());
  }
}
