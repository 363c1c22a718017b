package io.llmq.worker.webhook;

import io.llmq.common.webhook.WebhooksConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed delivery is tried again: the configured waits ({@code
 * llmq.webhooks.retry-schedule}, by default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h) in order, each
 * moved by up to {@code llmq.webhooks.jitter} either way so that receivers that failed together are
 * not hit together again. After the last wait's attempt fails, the delivery is given up.
 */
@ApplicationScoped
public class RetrySchedule {

  private final List<Duration> waits;
  private final double jitter;

  @Inject
  RetrySchedule(WebhooksConfig config) {
    this(config.retrySchedule(), config.jitter());
  }

  RetrySchedule(List<Duration> waits, double jitter) {
    this.waits = List.copyOf(waits);
    this.jitter = Math.clamp(jitter, 0.0, 1.0);
  }

  /**
   * The wait after the failure of attempt number {@code attempt} (1 for the first); empty when the
   * delivery is given up.
   */
  public Optional<Duration> after(int attempt) {
    if (attempt < 1 || attempt > waits.size()) {
      return Optional.empty();
    }
    Duration wait = waits.get(attempt - 1);
    double factor = 1 + (jitter == 0 ? 0 : ThreadLocalRandom.current().nextDouble(-jitter, jitter));
    return Optional.of(Duration.ofMillis(Math.round(wait.toMillis() * factor)));
  }

  /** How many attempts a delivery gets in all. */
  public int attempts() {
    return waits.size() + 1;
  }
}
