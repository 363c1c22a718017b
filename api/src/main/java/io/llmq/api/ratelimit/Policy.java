package io.llmq.api.ratelimit;

import io.llmq.api.auth.Caller;
import java.util.ArrayList;
import java.util.List;

/**
 * One submit rate limit that applies to a caller: {@code quota} requests per minute, a burst of
 * {@code quota} at once, then one every 60 s / {@code quota}.
 *
 * @param name the name the {@code RateLimit-Policy} and {@code RateLimit} headers give it
 * @param key its state in Redis; a tenant's and its keys' share a hash tag (one cluster slot)
 */
record Policy(String name, String key, long quota) {

  static final long WINDOW_SECONDS = 60;
  static final String PREFIX = "llmq:ratelimit:";
  private static final long WINDOW_MICROS = WINDOW_SECONDS * 1_000_000;

  /** The caller's limits: its tenant's first, then its key's; empty when it has none. */
  static List<Policy> of(Caller caller) {
    List<Policy> policies = new ArrayList<>(2);
    String tag = PREFIX + "{" + caller.tenantId() + "}:";
    if (caller.tenantRequestsPerMinute() != null) {
      policies.add(new Policy("tenant", tag + "tenant", caller.tenantRequestsPerMinute()));
    }
    if (caller.keyRequestsPerMinute() != null) {
      policies.add(new Policy("key", tag + "key:" + caller.keyId(), caller.keyRequestsPerMinute()));
    }
    return policies;
  }

  /**
   * Microseconds between two requests at the sustained rate, rounded down to a whole number so that
   * Redis computes exactly: the rate comes out high by at most a microsecond per interval.
   */
  long intervalMicros() {
    return Math.max(1, WINDOW_MICROS / quota);
  }

  /** How far ahead of now the state may run: a whole quota of intervals. */
  long burstMicros() {
    return intervalMicros() * quota;
  }
}
