package io.llmq.common.pricing;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * A model's price, in USD per million tokens: fresh prompt tokens, prompt tokens read from the
 * provider's cache, prompt tokens written to it, and completion tokens.
 */
public record Price(
    BigDecimal inputPerMtok,
    BigDecimal cachedInputPerMtok,
    BigDecimal cacheWritePerMtok,
    BigDecimal outputPerMtok) {

  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

  /** A price with no separate cache rates. */
  public Price(BigDecimal inputPerMtok, BigDecimal outputPerMtok) {
    this(inputPerMtok, inputPerMtok, inputPerMtok, outputPerMtok);
  }

  /**
   * The most a call can cost: every prompt token at the highest of the three prompt rates (a
   * provider decides at the call which tokens it reads from or writes to its cache), and {@code
   * completionTokens} at the output rate, rounded up to 10 decimal places.
   */
  public BigDecimal worstCaseOf(long promptTokens, long completionTokens) {
    BigDecimal prompt = inputPerMtok.max(cachedInputPerMtok).max(cacheWritePerMtok);
    return prompt
        .multiply(BigDecimal.valueOf(promptTokens))
        .add(outputPerMtok.multiply(BigDecimal.valueOf(completionTokens)))
        .divide(MILLION, 10, RoundingMode.CEILING)
        .stripTrailingZeros();
  }

  /** Cost of a call without prompt caching. */
  public BigDecimal costOf(long promptTokens, long completionTokens) {
    return costOf(promptTokens, 0, 0, completionTokens);
  }

  /**
   * Cost of one call, rounded to 10 decimal places.
   *
   * @param promptTokens every prompt token, cached and cache-written ones included
   */
  public BigDecimal costOf(
      long promptTokens, long cachedTokens, long cacheWriteTokens, long completionTokens) {
    long fresh = Math.max(0, promptTokens - cachedTokens - cacheWriteTokens);
    BigDecimal micro =
        inputPerMtok
            .multiply(BigDecimal.valueOf(fresh))
            .add(cachedInputPerMtok.multiply(BigDecimal.valueOf(cachedTokens)))
            .add(cacheWritePerMtok.multiply(BigDecimal.valueOf(cacheWriteTokens)))
            .add(outputPerMtok.multiply(BigDecimal.valueOf(completionTokens)));
    return micro
        .divide(MILLION, MathContext.DECIMAL64)
        .setScale(10, RoundingMode.HALF_UP)
        .stripTrailingZeros();
  }
}
