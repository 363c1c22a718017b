package io.llmq.common.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  void theWorstCaseChargesEveryPromptTokenAtTheHighestPromptRateAndRoundsUp() {
    Price price =
        new Price(
            new BigDecimal("3.00"),
            new BigDecimal("0.30"),
            new BigDecimal("3.75"),
            new BigDecimal("15.00"));
    // 1,000 prompt tokens at the cache-write rate, 100 completion tokens at the output rate
    assertEquals(0, new BigDecimal("0.00525").compareTo(price.worstCaseOf(1_000, 100)));
    for (long cached = 0; cached <= 1_000; cached += 250) {
      for (long written = 0; written <= 1_000 - cached; written += 250) {
        assertTrue(
            price.worstCaseOf(1_000, 100).compareTo(price.costOf(1_000, cached, written, 100))
                >= 0);
      }
    }
    // 1 token at $0.15/M is 0.00000015: kept whole, and a third of a unit rounds up
    assertEquals(
        0,
        new BigDecimal("0.0000000001")
            .compareTo(new Price(new BigDecimal("0.0000333"), BigDecimal.ZERO).worstCaseOf(3, 0)));
  }
}
