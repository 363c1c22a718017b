package io.llmq.api.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import java.time.Duration;
import java.util.Optional;

/** Settings of the api app ({@code llmq.api.*}); each is also an environment variable. */
@ConfigMapping(prefix = "llmq.api")
public interface ApiConfig {

  /**
   * Bearer token of the admin endpoints ({@code LLMQ_ADMIN_TOKEN}). No default: without it the
   * admin endpoints answer 401, and the prod profile refuses to start.
   */
  Optional<String> adminToken();

  /** Whether start-up fails without an admin token. Default {@code false}; {@code true} in prod. */
  @WithDefault("false")
  boolean requireAdminToken();

  /** Largest request body; larger ones get 413. Default {@code 1M}. */
  @WithDefault("1M")
  MemorySize maxBodySize();

  /**
   * Longest a request's body may take to arrive after its headers; a slower one gets 400 and its
   * connection is closed, so a client that drips a body cannot hold a connection. Default {@code
   * 30s}.
   */
  @WithDefault("30s")
  Duration bodyTimeout();

  /** Upper bound of {@code Prefer: wait=N} and {@code wait_seconds}. Default {@code 60s}. */
  @WithDefault("60s")
  Duration maxWait();

  /**
   * How often waiting requests re-read their jobs when no completion notice arrives (a safety net
   * under the Redis notices). Default {@code 1s}.
   */
  Duration waitRecheckInterval();

  /** How long an {@code Idempotency-Key} binds its job. Default {@code 24h}. */
  @WithDefault("24h")
  Duration idempotencyWindow();

  /** The submit rate limits' enforcement ({@code llmq.api.rate-limits.*}). */
  RateLimitSettings rateLimits();

  /**
   * How the tenants' and keys' {@code requests_per_minute} are enforced (the limits themselves are
   * the admin's, per tenant and key).
   */
  interface RateLimitSettings {

    /**
     * Longest wait for Redis's answer to a rate-limit check; a slower or failed check is decided by
     * this replica alone (see {@link #fallbackShare()}). Default {@code 250ms}.
     */
    @WithDefault("250ms")
    Duration timeout();

    /**
     * Share of each limit one replica admits on its own while Redis is out of reach, when it cannot
     * see what the others admit: with two replicas, {@code 0.5} keeps the total near the limit.
     * Above 0, at most 1. Default {@code 0.5}.
     */
    @WithDefault("0.5")
    @DecimalMin(value = "0", inclusive = false)
    @DecimalMax("1")
    double fallbackShare();

    /**
     * Whether answers other than submits (reads, cancels, errors) to a caller with a limit carry
     * the {@code RateLimit-Policy} and {@code RateLimit} headers too, from a read-only look at the
     * shared state (one Redis round trip per answer); submits always carry them. SSE streams never
     * do. Default {@code true}.
     */
    @WithDefault("true")
    boolean peekHeaders();
  }
}
