package io.llmq.common.pricing;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** A model's price, in USD per million tokens. */
public record Price(BigDecimal inputPerMtok, BigDecimal outputPerMtok) {

  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

  /** Cost of one call, rounded to 10 decimal places (a millionth of a cent is far below that). */
  public BigDecimal costOf(long promptTokens, long completionTokens) {
    BigDecimal input = inputPerMtok.multiply(BigDecimal.valueOf(promptTokens));
    BigDecimal output = outputPerMtok.multiply(BigDecimal.valueOf(completionTokens));
    return input
        .add(output)
        .divide(MILLION, MathContext.DECIMAL64)
        .setScale(10, RoundingMode.HALF_UP)
        .stripTrailingZeros();
  }
}
