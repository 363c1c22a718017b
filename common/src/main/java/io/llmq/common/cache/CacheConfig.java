package io.llmq.common.cache;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Settings of the result cache and single flight ({@code llmq.cache.*}), one definition for both
 * apps: the worker looks up, stores and runs single flight; the api looks up at submit and reads
 * only {@code enabled}, {@code scope} and {@code timeout}. Both must see the same values, or the
 * api looks in the wrong place (a miss, never a wrong answer) or answers while the worker's cache
 * is off.
 */
@ConfigMapping(prefix = "llmq.cache")
public interface CacheConfig {

  /** Who shares entries. */
  enum Scope {
    /** Each tenant has its own entries: one tenant's answer never serves another. */
    TENANT,
    /** Every tenant shares entries (for a deployment whose tenants trust one another). */
    GLOBAL
  }

  /**
   * Whether jobs look up and store answers at all ({@code LLMQ_CACHE_ENABLED}). Off, no job is
   * answered at submit and every job calls the provider, whatever its {@code cache} mode. Default
   * {@code true}.
   */
  @WithDefault("true")
  boolean enabled();

  /** How long an answer stays in the cache ({@code LLMQ_CACHE_TTL}). Default {@code 24h}. */
  @WithDefault("24h")
  Duration ttl();

  /**
   * Who shares entries: {@code tenant} or {@code global} ({@code LLMQ_CACHE_SCOPE}). Default {@code
   * tenant}.
   */
  @WithDefault("tenant")
  Scope scope();

  /**
   * Longest a cache operation may take before the job goes on without the cache, as when Redis is
   * down ({@code LLMQ_CACHE_TIMEOUT}). Default {@code 1s}.
   */
  @WithDefault("1s")
  Duration timeout();

  /** Identical requests in flight together make one call. */
  FlightSettings singleFlight();

  /** Settings of single flight ({@code llmq.cache.single-flight.*}). */
  interface FlightSettings {

    /**
     * Whether identical requests in flight together wait for one call ({@code
     * LLMQ_CACHE_SINGLE_FLIGHT_ENABLED}). Default {@code true}.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * How long a leader's lock lasts without renewal; the leader renews it every third of this
     * while its call runs, so a leader that dies frees it this long after ({@code
     * LLMQ_CACHE_SINGLE_FLIGHT_LEASE}). Default {@code 15s}.
     */
    @WithDefault("15s")
    Duration lease();

    /**
     * Longest a follower waits for a notice before it looks again by itself, covering notices lost
     * with a Redis connection ({@code LLMQ_CACHE_SINGLE_FLIGHT_RECHECK_INTERVAL}). Default {@code
     * 1s}.
     */
    @WithDefault("1s")
    Duration recheckInterval();

    /**
     * Longest a follower holds its message while the leader's call runs; after it the follower's
     * job goes back to the queue (still queued) for as long again, and follows or hits when it
     * returns ({@code LLMQ_CACHE_SINGLE_FLIGHT_MAX_WAIT}). Default {@code 30s}, the governor's
     * {@code max-hold}.
     */
    @WithDefault("30s")
    Duration maxWait();
  }
}
