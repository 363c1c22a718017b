package io.llmq.common.provider;

import io.llmq.common.failure.RedisTimeout;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a provider bills prompts against the billing tokenizer's estimate: a moving average of billed
 * ÷ estimated prompt tokens, by which {@link LimiterCounting.Mode#TOKENIZER} counts are scaled (the
 * provider's tokenizer may differ from ours, or be unknown to us; counting short would admit calls
 * the provider then refuses). A {@link LimiterCounting.Mode#CHARACTERS} count is the limiter's own
 * formula and is not calibrated.
 *
 * <p>One ratio per provider, shared by every replica of both apps under {@code
 * llmq:governor:calibration:<provider>}: each observation updates it atomically in Redis (a small
 * script: {@code new = old × 0.9 + sample × 0.1}, clamped to [{@value #LOW}, {@value #HIGH}], kept
 * {@value #TTL_DAYS} days after the last one). Reads never wait: {@link #ratio} answers from a
 * local copy, refreshed in the background once it is older than 5 seconds, and 1 until the first
 * read has answered (every configured provider is read at start-up). While Redis is unreachable the
 * last ratio seen stays in use.
 */
@ApplicationScoped
public class PromptCalibration {

  static final String PREFIX = "llmq:governor:calibration:";
  static final Duration FRESH = Duration.ofSeconds(5);
  static final double WEIGHT = 0.1;
  static final double LOW = 0.5;
  static final double HIGH = 4.0;
  static final int TTL_DAYS = 7;

  /** KEYS[1] the ratio; ARGV: sample, weight, low, high, seconds to keep. Returns the new ratio. */
  private static final String LEARN =
      """
      local low, high = tonumber(ARGV[3]), tonumber(ARGV[4])
      local sample = math.min(math.max(tonumber(ARGV[1]), low), high)
      local old = tonumber(redis.call('GET', KEYS[1]))
      local ratio = sample
      if old then
        local weight = tonumber(ARGV[2])
        ratio = math.min(math.max(old * (1 - weight) + sample * weight, low), high)
      end
      local text = string.format('%.6f', ratio)
      redis.call('SET', KEYS[1], text, 'EX', ARGV[5])
      return text
      """;

  private record Known(double ratio, long readAt) {}

  private final ReactiveRedisDataSource redis;
  private final RedisTimeout timeout;
  private final Map<String, Known> known = new ConcurrentHashMap<>();
  private final Set<String> reading = ConcurrentHashMap.newKeySet();

  public PromptCalibration(ReactiveRedisDataSource redis, RedisTimeout timeout) {
    this.redis = redis;
    this.timeout = timeout;
  }

  void preload(@Observes StartupEvent started, ProvidersConfig providers) {
    providers
        .providers()
        .forEach((name, provider) -> {
          if (!ProvidersConfig.SIMULATED.equals(provider.kind())) {
            refreshLater(name);
          }
        });
  }

  /**
   * The provider's ratio now, from the local copy (1 until one is known); a copy older than 5
   * seconds is refreshed in the background. Never waits on Redis.
   */
  public double ratio(String provider) {
    Known copy = known.get(provider);
    if (copy == null || System.nanoTime() - copy.readAt() > FRESH.toNanos()) {
      refreshLater(provider);
    }
    return copy == null ? 1.0 : copy.ratio();
  }

  /** Reads the provider's ratio from Redis into the local copy; 1 when none was learned yet. */
  public Uni<Double> refresh(String provider) {
    return timeout
        .bound(redis.execute("GET", PREFIX + provider))
        .map(response -> remember(provider, response == null ? 1.0 : parse(response)));
  }

  /**
   * Learns from one answered call: {@code billed} prompt tokens where the tokenizer estimated
   * {@code estimated}. Answers the shared ratio after the update.
   */
  public Uni<Double> learn(String provider, long estimated, long billed) {
    if (estimated <= 0 || billed <= 0) {
      return Uni.createFrom().item(ratio(provider));
    }
    double sample = (double) billed / estimated;
    return timeout
        .bound(
            redis.execute(
                "EVAL",
                LEARN,
                "1",
                PREFIX + provider,
                Double.toString(sample),
                Double.toString(WEIGHT),
                Double.toString(LOW),
                Double.toString(HIGH),
                Long.toString(Duration.ofDays(TTL_DAYS).toSeconds())))
        .map(response -> remember(provider, parse(response)));
  }

  private void refreshLater(String provider) {
    if (!reading.add(provider)) {
      return;
    }
    refresh(provider)
        .eventually(() -> reading.remove(provider))
        .subscribe()
        .with(
            ignored -> {},
            failure -> {
              // Tried now: the next try waits as long as a fresh copy would.
              known.merge(
                  provider,
                  new Known(1.0, System.nanoTime()),
                  (old, tried) -> new Known(old.ratio(), tried.readAt()));
              Log.debugf("Calibration of %s not read: %s", provider, failure.toString());
            });
  }

  private double remember(String provider, double ratio) {
    known.put(provider, new Known(ratio, System.nanoTime()));
    return ratio;
  }

  private static double parse(Response response) {
    try {
      return Math.clamp(Double.parseDouble(response.toString()), LOW, HIGH);
    } catch (NumberFormatException e) {
      return 1.0;
    }
  }
}
