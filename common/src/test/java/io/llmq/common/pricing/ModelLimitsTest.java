package io.llmq.common.pricing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A model's context window and output limit: read by the catalog, checked at start-up. */
class ModelLimitsTest {

  private record Limits(Optional<Long> contextWindow, Optional<Long> maxOutputTokens)
      implements ModelsConfig.Model {

    static Limits of(Long window, Long output) {
      return new Limits(Optional.ofNullable(window), Optional.ofNullable(output));
    }

    @Override
    public String provider() {
      return "simulated";
    }

    @Override
    public Optional<java.util.List<String>> fallbacks() {
      return Optional.empty();
    }

    @Override
    public Optional<String> upstreamModel() {
      return Optional.empty();
    }

    @Override
    public Optional<Long> tokensPerMinute() {
      return Optional.empty();
    }

    @Override
    public Optional<Long> requestsPerMinute() {
      return Optional.empty();
    }

    @Override
    public Optional<BigDecimal> inputUsdPerMtok() {
      return Optional.empty();
    }

    @Override
    public Optional<BigDecimal> cachedInputUsdPerMtok() {
      return Optional.empty();
    }

    @Override
    public Optional<BigDecimal> cacheWriteUsdPerMtok() {
      return Optional.empty();
    }

    @Override
    public Optional<BigDecimal> outputUsdPerMtok() {
      return Optional.empty();
    }
  }

  private static ModelCatalog catalog(Limits limits) {
    return new ModelCatalog(() -> Map.of("m", limits));
  }

  @Test
  void theCatalogAnswersAModelsWindowAndOutputLimitWhenConfigured() {
    ModelCatalog catalog = catalog(Limits.of(128_000L, 16_384L));
    assertEquals(Optional.of(128_000L), catalog.contextWindowOf("m"));
    assertEquals(Optional.of(16_384L), catalog.maxOutputTokensOf("m"));
    assertEquals(Optional.empty(), catalog.contextWindowOf("unknown"));
    assertDoesNotThrow(catalog::checkLimits);
    assertDoesNotThrow(catalog(Limits.of(null, null))::checkLimits);
    assertEquals(Optional.empty(), catalog(Limits.of(null, null)).contextWindowOf("m"));
  }

  @Test
  void impossibleLimitsFailStartUpNamingTheSetting() {
    assertEquals(
        "llmq.models.\"m\".context-window must be at least 1",
        assertThrows(IllegalStateException.class, catalog(Limits.of(0L, null))::checkLimits)
            .getMessage());
    assertEquals(
        "llmq.models.\"m\".max-output-tokens must be at least 1",
        assertThrows(IllegalStateException.class, catalog(Limits.of(null, -5L))::checkLimits)
            .getMessage());
    assertEquals(
        "llmq.models.\"m\".max-output-tokens (2000) must not exceed its context-window (1000)",
        assertThrows(IllegalStateException.class, catalog(Limits.of(1000L, 2000L))::checkLimits)
            .getMessage());
  }
}
