package io.llmq.common.pricing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start-up check of {@code llmq.models."<m>".fallbacks}: known names, no cycles. */
class FallbackChainsTest {

  private static ModelCatalog catalog(Map<String, List<String>> chains) {
    Map<String, ModelsConfig.Model> models = new LinkedHashMap<>();
    chains.forEach((name, chain) -> models.put(name, ModelEntry.chain(chain)));
    return new ModelCatalog(() -> models);
  }

  @Test
  void chainsOfKnownModelsWithoutCyclesPassAndKeepTheirOrder() {
    ModelCatalog catalog =
        catalog(
            Map.of(
                "a", List.of("b", "c"),
                "b", List.of("c"),
                "c", List.of()));
    assertDoesNotThrow(catalog::checkFallbacks);
    assertEquals(List.of("b", "c"), catalog.fallbacksOf("a"));
    assertEquals(List.of(), catalog.fallbacksOf("c"));
    assertEquals(List.of(), catalog.fallbacksOf("unknown"));
  }

  @Test
  void aChainNamingAnUnknownModelRefusesToStartNamingBoth() {
    ModelCatalog catalog = catalog(Map.of("a", List.of("nope")));
    IllegalStateException refused =
        assertThrows(IllegalStateException.class, catalog::checkFallbacks);
    assertEquals(
        "llmq.models.\"a\".fallbacks names 'nope', which is not a configured model",
        refused.getMessage());
  }

  @Test
  void aModelFallingBackToItselfIsACycle() {
    ModelCatalog catalog = catalog(Map.of("a", List.of("a")));
    IllegalStateException refused =
        assertThrows(IllegalStateException.class, catalog::checkFallbacks);
    assertEquals("llmq.models.*.fallbacks form a cycle: a -> a", refused.getMessage());
  }

  @Test
  void aLongerLoopIsACycleWhereverItIsEntered() {
    ModelCatalog catalog = catalog(Map.of("a", List.of("b"), "b", List.of("c"), "c", List.of("a")));
    IllegalStateException refused =
        assertThrows(IllegalStateException.class, catalog::checkFallbacks);
    assertEquals("llmq.models.*.fallbacks form a cycle: a -> b -> c -> a", refused.getMessage());
  }
}
