package io.llmq.common.provider;

import java.util.Locale;

/**
 * What a provider's rate limiter is reckoned to count for one request ({@link LimiterCounting}):
 * its prompt and its output, each for every one of its {@code n} choices.
 *
 * @param promptPerChoice the prompt as the limiter counts it (calibrated in {@link
 *     LimiterCounting.Mode#TOKENIZER} mode)
 * @param outputPerChoice {@code max_completion_tokens}, {@code max_tokens} or the provider's
 *     default
 * @param choices the request's {@code n}, at least 1
 */
public record LimiterCharge(
    LimiterCounting.Mode mode, long promptPerChoice, long outputPerChoice, int choices) {

  /** The prompt's part, every choice's. */
  public long promptTokens() {
    return promptPerChoice * choices;
  }

  /** The output's part, every choice's: what the limiter charges at admission. */
  public long outputTokens() {
    return outputPerChoice * choices;
  }

  /** The whole count: what the governor reserves, and what must fit a minute of a limit. */
  public long total() {
    return promptTokens() + outputTokens();
  }

  /**
   * The prompt's part of what the limiter charged, once the call has answered with {@code
   * billedPrompt} prompt tokens: a limiter that counts with the tokenizer counts what it bills (for
   * every choice, as reserved), one that counts characters counted its own estimate, whatever was
   * billed.
   */
  public long settledPrompt(long billedPrompt) {
    return mode == LimiterCounting.Mode.CHARACTERS ? promptTokens() : billedPrompt * choices;
  }

  /** For messages: "prompt 1,000 + max_tokens 30,000", with "× n" where there are choices. */
  public String describe() {
    String each = choices > 1 ? " × " + choices : "";
    return String.format(
        Locale.ROOT,
        "prompt %,d%s + max_tokens %,d%s",
        promptPerChoice,
        each,
        outputPerChoice,
        each);
  }
}
