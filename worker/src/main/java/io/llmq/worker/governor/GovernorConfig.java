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
   * Share of each limit (and of the concurrent-call slots) that the workers together allow
   * themselves while Redis is unreachable and none can see the others' spending: each takes this
   * divided by the number of live workers it last counted ({@link LiveWorkers}). The rest, 10 % by
   * default, is the margin that workers the others have not counted yet take their share from.
   * Above 0, below 1. Default {@code 0.9}.
   */
  @WithDefault("0.9")
  double fallbackShare();

  /**
   * Workers assumed by one that has not counted them (it started while Redis was unreachable, or
   * joined just before Redis went away): it takes {@code (1 - fallback-share) / expected-workers}
   * of each limit, so that up to this many such workers stay within the margin the counted ones
   * leave. At least 1. Default {@code 4}.
   */
  @WithDefault("4")
  int expectedWorkers();

  /**
   * How often a worker renews its entry in the live-worker registry and counts the live ones; an
   * entry not renewed for three intervals lapses. At least {@code 1s}. Default {@code 3s}.
   */
  Duration presenceInterval();

  /**
   * Longest wait for capacity a job holds its message through where no waiting room orders it (a
   * limit of its tenant's only, or Redis unreachable), and for a provider's call slot; a longer one
   * puts the job back in the queue for that time instead (it stays queued). Default {@code 30s}.
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
