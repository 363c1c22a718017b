package io.llmq.worker.governor;

import java.time.Duration;
import java.util.List;

/**
 * Capacity taken for one call: the tokens charged to the upstream buckets (the provider's, and the
 * model's where it has its own limits) and, when the tenant has its own tokens-per-minute, to the
 * tenant's; and when the call may start. A reservation whose wait would pass the governor's horizon
 * ({@code llmq.governor.max-hold}) is not charged: the job goes back to the queue and reserves
 * again when it returns.
 *
 * @param upstreamKeys the provider's (and model's) buckets, empty when the provider is not governed
 * @param tenantKey the tenant bucket, {@code null} when the tenant has no limit
 * @param tokens tokens charged to each bucket (the call's worst case)
 * @param readyAt when the call may start, epoch milliseconds
 * @param charged whether the buckets were charged; false when the wait passed the horizon
 * @param local whether Redis was unreachable and local buckets were used
 */
public record Reservation(
    List<String> upstreamKeys,
    String tenantKey,
    long tokens,
    long readyAt,
    boolean charged,
    boolean local) {

  static final Reservation NONE = new Reservation(List.of(), null, 0, 0, true, false);

  boolean isEmpty() {
    return upstreamKeys.isEmpty() && tenantKey == null;
  }

  /** How long from now until the call may start; zero once that time has come. */
  public Duration delay() {
    return Duration.ofMillis(Math.max(0, readyAt - System.currentTimeMillis()));
  }
}
