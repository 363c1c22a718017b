package io.llmq.simulator.ratelimit;

import java.time.Duration;

/**
 * Why a call was refused: which limit, its size, how much of it is in use, what the call asked for,
 * and how long until it would fit (at least a millisecond).
 */
public record Refusal(Limit limit, long capacity, long used, long requested, Duration retryAfter) {

  /** A refusal on demand ({@code x-sim-fault: 429}): the request bucket, retry after 1 s. */
  public static Refusal forced(Quotas quotas) {
    long capacity = quotas.requests().limit();
    return new Refusal(Limit.REQUESTS, capacity, capacity, 1, Duration.ofSeconds(1));
  }

  /** {@code retry-after}: whole seconds, rounded up, at least 1. */
  public long retryAfterSeconds() {
    return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
  }

  /** {@code retry-after-ms}: milliseconds, rounded up, at least 1. */
  public long retryAfterMillis() {
    return Math.max(1, (retryAfter.toNanos() + 999_999) / 1_000_000);
  }
}
