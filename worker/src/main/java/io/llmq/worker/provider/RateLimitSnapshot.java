package io.llmq.worker.provider;

import java.time.Duration;

/**
 * What a provider's response headers said about its rate limits, normalized across providers. Every
 * field is {@code null} when the provider did not say.
 *
 * @param requestLimit requests allowed per window
 * @param requestsRemaining requests left in the window
 * @param requestsReset time until the request budget is whole again
 * @param tokenLimit tokens allowed per window
 * @param tokensRemaining tokens left in the window
 * @param tokensReset time until the token budget is whole again
 * @param retryAfter how long to wait before the next call ({@code retry-after}, {@code
 *     retry-after-ms})
 */
public record RateLimitSnapshot(
    Long requestLimit,
    Long requestsRemaining,
    Duration requestsReset,
    Long tokenLimit,
    Long tokensRemaining,
    Duration tokensReset,
    Duration retryAfter) {

  public static final RateLimitSnapshot NONE =
      new RateLimitSnapshot(null, null, null, null, null, null, null);

  public boolean isEmpty() {
    return equals(NONE);
  }
}
