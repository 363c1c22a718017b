package io.llmq.simulator.ratelimit;

/** The outcome of {@link RateLimiter#admit}: the buckets afterwards and, if refused, why. */
public record Admission(Quotas quotas, Refusal refusal) {

  public boolean admitted() {
    return refusal == null;
  }
}
