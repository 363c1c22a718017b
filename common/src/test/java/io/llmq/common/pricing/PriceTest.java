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
  void aFreeModelCostsNothing() {
    assertEquals(
        0, BigDecimal.ZERO.compareTo(new Price(BigDecimal.ZERO, BigDecimal.ZERO).costOf(10, 10)));
  }
}
