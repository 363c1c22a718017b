package io.llmq.worker.execution;

import io.llmq.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a job waits before its next attempt: exponential growth, capped, with full jitter (a
 * uniform draw between zero and the capped value), so retries of many jobs spread out instead of
 * arriving together.
 */
@ApplicationScoped
class RetryPolicy {

  private final WorkerConfig.Retry config;

  @jakarta.inject.Inject
  RetryPolicy(WorkerConfig config) {
    this(config.retry());
  }

  RetryPolicy(WorkerConfig.Retry config) {
    this.config = config;
  }

  /** The upper bound of the wait after {@code attempt} attempts (1 = the first has failed). */
  Duration ceiling(int attempt) {
    double grown =
        config.initialInterval().toMillis()
            * Math.pow(config.coefficient(), Math.max(0, attempt - 1));
    return Duration.ofMillis((long) Math.min(grown, config.maximumInterval().toMillis()));
  }

  /** The wait after {@code attempt} attempts, drawn with full jitter. */
  /**
   * The wait before retrying after {@code attempt} failed: the jittered backoff, or the provider's
   * {@code Retry-After} when it asks for longer (it is a floor, never shortened by the jitter).
   */
  Duration delayAfter(int attempt, Duration retryAfter) {
    Duration backoff = delayAfter(attempt);
    return retryAfter != null && retryAfter.compareTo(backoff) > 0 ? retryAfter : backoff;
  }

  Duration delayAfter(int attempt) {
    long ceiling = ceiling(attempt).toMillis();
    return Duration.ofMillis(ceiling == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1));
  }
}
