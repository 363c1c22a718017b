package io.llmq.worker.governor;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * Capacity taken for one call: the tokens charged to the upstream buckets (the provider's, and the
 * model's where it has its own limits) and, when the tenant has its own tokens-per-minute, to the
 * tenant's; and when the call may start. A job that cannot hold its message that long is put back
 * with its reservation stored on its row, so it keeps its place instead of queueing again; the
 * field names are fixed here for that JSON.
 *
 * @param upstreamKeys the provider's (and model's) buckets, empty when the provider is not governed
 * @param tenantKey the tenant bucket, {@code null} when the tenant has no limit
 * @param tokens tokens charged to each bucket (the call's worst case)
 * @param readyAt when the call may start, epoch milliseconds
 * @param local whether Redis was unreachable and local buckets were used
 */
public record Reservation(
    @JsonProperty("upstream_keys") List<String> upstreamKeys,
    @JsonProperty("tenant_key") String tenantKey,
    @JsonProperty("tokens") long tokens,
    @JsonProperty("ready_at") long readyAt,
    @JsonProperty("local") boolean local) {

  static final Reservation NONE = new Reservation(List.of(), null, 0, 0, false);

  @JsonIgnore
  boolean isEmpty() {
    return upstreamKeys.isEmpty() && tenantKey == null;
  }

  /** How long from now until the call may start; zero once that time has come. */
  @JsonIgnore
  public Duration delay() {
    return Duration.ofMillis(Math.max(0, readyAt - System.currentTimeMillis()));
  }
}
