package io.llmq.simulator.ratelimit;

import java.time.Duration;

/**
 * A bucket holding up to {@code limit} units that refills continuously at {@code limit} per minute,
 * the way OpenAI describes its RPM and TPM limits. Not thread-safe: {@link RateLimiter} guards it.
 * Times are {@link System#nanoTime()} readings, passed in so tests can steer them.
 */
final class TokenBucket {

  private static final double NANOS_PER_MINUTE = 60e9;

  private final long limit;
  private double level;
  private long updatedAt;

  TokenBucket(long limit, long now) {
    this.limit = limit;
    this.level = limit;
    this.updatedAt = now;
  }

  void refill(long now) {
    level = Math.min(limit, level + (now - updatedAt) * limit / NANOS_PER_MINUTE);
    updatedAt = now;
  }

  boolean holds(long amount) {
    return level >= amount;
  }

  void take(long amount) {
    level -= amount;
  }

  void giveBack(long amount) {
    level = Math.min(limit, level + amount);
  }

  /** How long until {@code amount} fits; an amount above the limit never does, so until full. */
  Duration until(long amount) {
    return amount > limit ? untilFull() : timeFor(amount - level);
  }

  Quota quota() {
    return new Quota(limit, (long) Math.floor(level), untilFull());
  }

  private Duration untilFull() {
    return timeFor(limit - level);
  }

  private Duration timeFor(double missing) {
    if (missing <= 0) {
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) Math.ceil(missing * NANOS_PER_MINUTE / limit));
  }
}
