package io.llmq.worker.fallback;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Settings of fallback chains and of the providers' circuit breakers ({@code llmq.fallbacks.*}).
 * The chains themselves are the models' ({@code llmq.models."<m>".fallbacks}).
 */
@ConfigMapping(prefix = "llmq.fallbacks")
public interface FallbackConfig {

  /**
   * Longest pause after a 429 that a job waits out on its own model: when the governor holds the
   * model's provider (or the model's own bucket) paused for longer, the job is served by the next
   * model of its chain instead. A long queue for capacity alone is not a pause and does not make a
   * job fall back. Default {@code 30s}.
   */
  @WithDefault("30s")
  Duration maxWait();

  /** The providers' circuit breakers. */
  Circuit circuit();

  /** One circuit breaker per provider, shared by every worker replica through Redis. */
  interface Circuit {

    /**
     * Whether calls pass through the breakers. Default {@code true}; off, no circuit ever opens and
     * only exhausted attempts and long pauses make jobs fall back.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * Transient failures in a row (5xx, 529, timeouts, broken connections; any answer of the
     * provider ends the run, a 429 neither adds to it nor ends it) that open a provider's circuit.
     * At least 1. Default {@code 5}.
     */
    @WithDefault("5")
    int failuresToOpen();

    /** How long an open circuit lets no call through before it half-opens. Default {@code 30s}. */
    @WithDefault("30s")
    Duration openDuration();

    /**
     * Probe calls a half-open circuit lets through at once: the first to succeed closes it, a
     * failure opens it again. At least 1. Default {@code 1}.
     */
    @WithDefault("1")
    int halfOpenProbes();

    /**
     * How long a probe holds its place when its worker never reports its end (it died, or the job
     * went back to wait for capacity): then another call may probe. Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration probeLease();

    /**
     * Whether the built-in simulator's providers have breakers too. It never goes down unless a
     * prompt asks it to ({@code [[sim fail=upstream_error]]}), so by default they have none: a
     * demo's failing prompts never hold back other jobs. Default {@code false}.
     */
    @WithDefault("false")
    boolean guardSimulated();
  }
}
