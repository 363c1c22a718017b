package io.llmq.simulator.ratelimit;

import io.llmq.simulator.settings.LiveSettings;
import io.llmq.simulator.settings.Settings;
import io.llmq.simulator.settings.SettingsChanged;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-API-key request and token buckets. A call is admitted only when both hold its charge (one
 * request; prompt tokens plus the tokens it may generate), and then both are charged; a refused
 * call is charged nothing. A change of the limits starts every key over with full buckets.
 */
@ApplicationScoped
public class RateLimiter {

  private final LiveSettings settings;
  private final Map<String, Buckets> buckets = new ConcurrentHashMap<>();

  RateLimiter(LiveSettings settings) {
    this.settings = settings;
  }

  public Admission admit(String apiKey, long tokens) {
    Buckets pair = bucketsOf(apiKey);
    synchronized (pair) {
      pair.refill(System.nanoTime());
      Refusal refusal = null;
      if (!pair.requests().holds(1)) {
        refusal = refusal(Limit.REQUESTS, pair.requests(), 1);
      } else if (!pair.tokens().holds(tokens)) {
        refusal = refusal(Limit.TOKENS, pair.tokens(), tokens);
      } else {
        pair.requests().take(1);
        pair.tokens().take(tokens);
      }
      return new Admission(pair.quotas(), refusal);
    }
  }

  /**
   * Gives {@code tokens} back to the key's token bucket (never above its limit): what a completed
   * call reserved at admission and did not use, when the settings say so.
   */
  public void giveBack(String apiKey, long tokens) {
    Buckets pair = bucketsOf(apiKey);
    synchronized (pair) {
      pair.refill(System.nanoTime());
      pair.tokens().giveBack(tokens);
    }
  }

  /** The buckets as they are, charging nothing: for answers that bypass admission. */
  public Quotas peek(String apiKey) {
    Buckets pair = bucketsOf(apiKey);
    synchronized (pair) {
      pair.refill(System.nanoTime());
      return pair.quotas();
    }
  }

  void onChange(@Observes SettingsChanged change) {
    if (!change.before().sameLimits(change.after())) {
      buckets.clear();
    }
  }

  private Buckets bucketsOf(String apiKey) {
    return buckets.computeIfAbsent(
        apiKey,
        key -> {
          Settings current = settings.current();
          long now = System.nanoTime();
          return new Buckets(
              new TokenBucket(current.requestsPerMinute(), now),
              new TokenBucket(current.tokensPerMinute(), now));
        });
  }

  private static Refusal refusal(Limit limit, TokenBucket bucket, long requested) {
    Quota quota = bucket.quota();
    return new Refusal(
        limit,
        quota.limit(),
        quota.limit() - quota.remaining(),
        requested,
        bucket.until(requested));
  }

  private record Buckets(TokenBucket requests, TokenBucket tokens) {

    void refill(long now) {
      requests.refill(now);
      tokens.refill(now);
    }

    Quotas quotas() {
      return new Quotas(requests.quota(), tokens.quota());
    }
  }
}
