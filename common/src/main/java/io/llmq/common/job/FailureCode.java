package io.llmq.common.job;

import java.util.Locale;

/**
 * Why a job failed, as stored in {@code error.code}. Whether a failure may be retried is decided
 * here, once: every other place asks {@link #retryable()}.
 */
public enum FailureCode {
  /** Attempts exhausted on 429s. */
  UPSTREAM_RATE_LIMITED(true),
  /** 5xx, resets, timeouts; retried until attempts run out. */
  UPSTREAM_ERROR(true),
  /** The provider answered 4xx other than 429: the same request would fail again. */
  UPSTREAM_REJECTED(false),
  CONTEXT_LENGTH_EXCEEDED(false),
  /** The answer failed its requested JSON schema (or did not parse), after the repairs allowed. */
  INVALID_OUTPUT(false),
  /** Refused by the tenant's moderation or injection policy; no call was made for the answer. */
  CONTENT_BLOCKED(false),
  BUDGET_EXCEEDED(false),
  /** A fault of llmq itself, such as a worker that kept dying on the job. */
  INTERNAL(false);

  private final boolean retryable;

  FailureCode(boolean retryable) {
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
