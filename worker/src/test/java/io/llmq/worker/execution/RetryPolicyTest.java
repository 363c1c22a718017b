package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.worker.config.WorkerConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final RetryPolicy policy =
      new RetryPolicy(config(Duration.ofSeconds(1), 2, Duration.ofSeconds(30)));

  @Test
  void theCeilingGrowsByTheCoefficientUpToTheCap() {
    assertEquals(Duration.ofSeconds(1), policy.ceiling(1));
    assertEquals(Duration.ofSeconds(2), policy.ceiling(2));
    assertEquals(Duration.ofSeconds(16), policy.ceiling(5));
    assertEquals(Duration.ofSeconds(30), policy.ceiling(6));
    assertEquals(Duration.ofSeconds(30), policy.ceiling(60));
  }

  @Test
  void delaysAreFullJitterBetweenZeroAndTheCeiling() {
    long below = 0;
    for (int i = 0; i < 1_000; i++) {
      Duration delay = policy.delayAfter(3);
      assertTrue(
          !delay.isNegative() && delay.compareTo(Duration.ofSeconds(4)) <= 0, delay.toString());
      below += delay.compareTo(Duration.ofSeconds(2)) < 0 ? 1 : 0;
    }
    // Uniform on [0, 4 s]: about half the draws fall below 2 s.
    assertTrue(below > 350 && below < 650, "draws below half the ceiling: " + below);
  }

  @Test
  void aRetryAfterIsAFloorUnderTheBackoffNeverShortenedByIt() {
    for (int i = 0; i < 100; i++) {
      assertEquals(Duration.ofSeconds(45), policy.delayAfter(2, Duration.ofSeconds(45)));
      Duration delay = policy.delayAfter(6, Duration.ofMillis(10));
      assertTrue(delay.compareTo(Duration.ofMillis(10)) >= 0, delay.toString());
      assertTrue(delay.compareTo(Duration.ofSeconds(30)) <= 0, delay.toString());
    }
    Duration unset = policy.delayAfter(1, null);
    assertTrue(unset.compareTo(Duration.ofSeconds(1)) <= 0, unset.toString());
  }

  static WorkerConfig.Retry config(Duration initial, double coefficient, Duration maximum) {
    return new WorkerConfig.Retry() {
      @Override
      public Duration initialInterval() {
        return initial;
      }

      @Override
      public double coefficient() {
        return coefficient;
      }

      @Override
      public Duration maximumInterval() {
        return maximum;
      }
    };
  }
}
