package io.llmq.worker.provider;

import io.llmq.common.job.FailureCode;
import java.time.Duration;

/**
 * A failure the provider reported, classified once (see {@link FailureClassifier}). The message is
 * safe to store on the job: it never holds a key, a host name or a provider's raw body.
 */
public class ProviderException extends RuntimeException {

  private final FailureCode code;
  private final Duration retryAfter;
  private final RateLimitSnapshot limits;

  public ProviderException(FailureCode code, String message) {
    this(code, message, null, RateLimitSnapshot.NONE);
  }

  public ProviderException(
      FailureCode code, String message, Duration retryAfter, RateLimitSnapshot limits) {
    super(message, null, false, false);
    this.code = code;
    this.retryAfter = retryAfter;
    this.limits = limits;
  }

  public FailureCode code() {
    return code;
  }

  /** How long the provider asked to wait before trying again; {@code null} when it did not say. */
  public Duration retryAfter() {
    return retryAfter;
  }

  public RateLimitSnapshot limits() {
    return limits;
  }
}
