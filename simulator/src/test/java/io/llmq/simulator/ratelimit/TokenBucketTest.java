package io.llmq.simulator.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aNewBucketIsFull() {
    TokenBucket bucket = new TokenBucket(600, 0);

    assertEquals(new Quota(600, 600, Duration.ZERO), bucket.quota());
    assertTrue(bucket.holds(600));
    assertFalse(bucket.holds(601));
  }

  @Test
  void itRefillsContinuouslyAtItsLimitPerMinuteUpToTheLimit() {
    TokenBucket bucket = new TokenBucket(600, 0);
    bucket.take(600);

    bucket.refill(SECOND);
    assertEquals(10, bucket.quota().remaining());
    bucket.refill(SECOND + SECOND / 2);
    assertEquals(15, bucket.quota().remaining());
    bucket.refill(3600 * SECOND);
    assertEquals(600, bucket.quota().remaining());
  }

  @Test
  void untilTellsHowLongAnAmountTakesToFit() {
    TokenBucket bucket = new TokenBucket(600, 0);
    bucket.take(600);

    assertEquals(Duration.ofSeconds(2), bucket.until(20));
    assertEquals(Duration.ofSeconds(60), bucket.quota().untilFull());
    assertEquals(Duration.ZERO, new TokenBucket(600, 0).until(20));
  }

  @Test
  void anAmountAboveTheLimitWaitsUntilFullBecauseItNeverFits() {
    TokenBucket bucket = new TokenBucket(600, 0);
    bucket.take(300);

    assertEquals(Duration.ofSeconds(30), bucket.until(1000));
  }
}
