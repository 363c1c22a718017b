package io.llmq.api.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
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
}
