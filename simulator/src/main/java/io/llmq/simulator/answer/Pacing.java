package io.llmq.simulator.answer;

import java.time.Duration;

/**
 * When each token of an answer is due: token 0 after the time to first token, each next one {@code
 * 1 / tokensPerSecond} later. A non-streaming answer is sent when its last token is due.
 */
public record Pacing(Duration timeToFirstToken, int tokensPerSecond) {

  /** Nanoseconds after the start at which token {@code i} is due. */
  public long dueAt(int i) {
    return timeToFirstToken.toNanos() + (long) Math.ceil(i * 1e9 / tokensPerSecond);
  }

  /** How many tokens are due {@code elapsedNanos} after the start. */
  public int dueBy(long elapsedNanos) {
    long afterFirst = elapsedNanos - timeToFirstToken.toNanos();
    if (afterFirst < 0) {
      return 0;
    }
    double later = Math.floor(afterFirst * (double) tokensPerSecond / 1e9);
    return 1 + (int) Math.min(Integer.MAX_VALUE - 1, later);
  }

  /** How long an answer of {@code tokens} takes to complete. */
  public Duration total(int tokens) {
    return Duration.ofNanos(dueAt(Math.max(0, tokens - 1)));
  }
}
