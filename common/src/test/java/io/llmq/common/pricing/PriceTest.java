package io.llmq.common.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class PriceTest {

  @Test
  void costIsTokensTimesPricePerMillion() {
    Price price = new Price(new BigDecimal("0.15"), new BigDecimal("0.60"));
    // 1,000 prompt tokens at $0.15/M + 500 completion tokens at $0.60/M
    assertEquals(0, new BigDecimal("0.00045").compareTo(price.costOf(1_000, 500)));
  }

  @Test
  void cachedAndCacheWrittenPromptTokensHaveTheirOwnRates() {
    Price price =
        new Price(
            new BigDecimal("3.00"),
            new BigDecimal("0.30"),
            new BigDecimal("3.75"),
            new BigDecimal("15.00"));
    // 10,000 prompt tokens: 6,000 read from cache, 1,000 written to it, 3,000 fresh; 2,000 out.
    BigDecimal expected =
        new BigDecimal("0.009")
            .add(new BigDecimal("0.0018"))
            .add(new BigDecimal("0.00375"))
            .add(new BigDecimal("0.03"));
    assertEquals(0, expected.compareTo(price.costOf(10_000, 6_000, 1_000, 2_000)));
  }

  @Test
  void aFreeModelCostsNothing() {
    assertEquals(
        0, BigDecimal.ZERO.compareTo(new Price(BigDecimal.ZERO, BigDecimal.ZERO).costOf(10, 10)));
  }
}
