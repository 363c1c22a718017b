package io.llmq.worker.governor;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of the rate governor ({@code llmq.governor.*}). */
@ConfigMapping(prefix = "llmq.governor")
public interface GovernorConfig {

  /**
   * Whether calls reserve capacity before they start. Default {@code true}; off leaves only retries
   * on 429 (the comparison the governor benchmark draws).
   */
  @WithDefault("true")
  boolean enabled();

  /**
   * Share of each limit a worker allows itself while Redis is unreachable and it cannot see the
   * others' spending. Default {@code 0.25}.
   */
  @WithDefault("0.25")
  double fallbackShare();

  /**
   * Longest wait for capacity a job holds its message through; a longer one puts the job back in
   * the queue for that time instead (it stays queued). Default {@code 30s}.
   */
  @WithDefault("30s")
  Duration maxHold();

  /**
   * Share of a provider's (or model's) token limit the governor keeps unspent, a margin for prompt
   * estimates that run short of what the provider counts. It costs no throughput once the bucket is
   * in use: a bucket refills at the same rate whatever level it hovers at; only the first burst is
   * smaller. Default {@code 0.02}.
   */
  @WithDefault("0.02")
  double headroom();

  /** Pause after a 429 that named no wait. Default {@code 1s}. */
  @WithDefault("1s")
  Duration defaultPause();
}
