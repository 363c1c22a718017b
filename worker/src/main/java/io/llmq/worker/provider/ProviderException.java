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
  private final int status;
  private final boolean timedOut;

  public ProviderException(FailureCode code, String message) {
    this(code, message, null, RateLimitSnapshot.NONE);
  }

  public ProviderException(
      FailureCode code, String message, Duration retryAfter, RateLimitSnapshot limits) {
    this(code, message, retryAfter, limits, 0, false);
  }

  /**
   * @param status the HTTP status the provider answered with (the simulator's equivalent of its
   *     failure), 0 when no HTTP answer came
   * @param timedOut no answer came in time
   */
  public ProviderException(
      FailureCode code,
      String message,
      Duration retryAfter,
      RateLimitSnapshot limits,
      int status,
      boolean timedOut) {
    super(message, null, false, false);
    this.code = code;
    this.retryAfter = retryAfter;
    this.limits = limits;
    this.status = status;
    this.timedOut = timedOut;
  }

  /** A call that got no answer in time. */
  public static ProviderException timedOut(String message) {
    return new ProviderException(
        FailureCode.UPSTREAM_ERROR, message, null, RateLimitSnapshot.NONE, 0, true);
  }

  /**
   * The HTTP status of the provider's answer; 0 when none came (a broken connection, a timeout).
   */
  public int status() {
    return status;
  }

  /** Whether the call failed for want of an answer in time. */
  public boolean timedOut() {
    return timedOut;
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
