package io.llmq.worker.governor;

import java.time.Duration;

/**
 * Capacity taken for one call: the tokens charged to the provider's bucket and, when the tenant has
 * its own tokens-per-minute, to the tenant's; and how long the caller must wait before calling.
 *
 * @param providerKey the provider bucket, {@code null} when the provider has no known limits
 * @param tenantKey the tenant bucket, {@code null} when the tenant has no limit
 * @param tokens tokens charged to each bucket (the call's worst case)
 * @param delay how long to wait before the call
 * @param local whether Redis was unreachable and a local bucket was used
 */
public record Reservation(
    String providerKey, String tenantKey, long tokens, Duration delay, boolean local) {

  static final Reservation NONE = new Reservation(null, null, 0, Duration.ZERO, false);

  boolean isEmpty() {
    return providerKey == null && tenantKey == null;
  }
}
