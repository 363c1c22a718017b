package io.llmq.common.pricing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A model's context window and output limit: read by the catalog, checked at start-up. */
class ModelLimitsTest {

  private static ModelCatalog catalog(ModelEntry limits) {
    return new ModelCatalog(() -> Map.of("m", limits));
  }

  @Test
  void theCatalogAnswersAModelsWindowAndOutputLimitWhenConfigured() {
    ModelCatalog catalog = catalog(ModelEntry.limits(128_000L, 16_384L));
    assertEquals(Optional.of(128_000L), catalog.contextWindowOf("m"));
    assertEquals(Optional.of(16_384L), catalog.maxOutputTokensOf("m"));
    assertEquals(Optional.empty(), catalog.contextWindowOf("unknown"));
    assertDoesNotThrow(catalog::checkLimits);
    assertDoesNotThrow(catalog(ModelEntry.limits(null, null))::checkLimits);
    assertEquals(Optional.empty(), catalog(ModelEntry.limits(null, null)).contextWindowOf("m"));
  }

  @Test
  void impossibleLimitsFailStartUpNamingTheSetting() {
    assertEquals(
        "llmq.models.\"m\".context-window must be at least 1",
        assertThrows(IllegalStateException.class, catalog(ModelEntry.limits(0L, null))::checkLimits)
            .getMessage());
    assertEquals(
        "llmq.models.\"m\".max-output-tokens must be at least 1",
        assertThrows(
                IllegalStateException.class, catalog(ModelEntry.limits(null, -5L))::checkLimits)
            .getMessage());
    assertEquals(
        "llmq.models.\"m\".max-output-tokens (2000) must not exceed its context-window (1000)",
        assertThrows(
                IllegalStateException.class, catalog(ModelEntry.limits(1000L, 2000L))::checkLimits)
            .getMessage());
  }
}
