package io.llmq.common.guardrails;

import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.pricing.Price;
import io.llmq.common.provider.ProvidersConfig;
import java.util.Optional;

/**
 * Which models may be a tenant's prompt-injection classifier ({@code policies.injection_model}):
 * only models that cost nothing, because the classifier call is made before a job reserves anything
 * and is not metered (no budget reservation, ledger row or {@code cost_usd}). A model costs nothing
 * when its provider is the built-in simulator, or when it has no price (or a price of 0), as a
 * model on a self-hosted OpenAI-compatible server (Llama Guard or Prompt Guard on vLLM or Ollama)
 * is configured. The admin API refuses any other model, and the worker checks again before each
 * call, so a price added later stops the calls instead of spending unaccounted.
 */
public final class ClassifierModels {

  private ClassifierModels() {}

  /** Why {@code model} cannot be a classifier, as a sentence's end; empty when it can. */
  public static Optional<String> refusal(
      String model, ModelCatalog models, ProvidersConfig providers) {
    if (!models.knows(model)) {
      return Optional.of("is not a configured model");
    }
    if (costsNothing(model, models, providers)) {
      return Optional.empty();
    }
    return Optional.of(
        "is a priced model: the classifier call is not metered, so only models that cost nothing"
            + " (the simulated provider's, or models without a price) may classify");
  }

  private static boolean costsNothing(
      String model, ModelCatalog models, ProvidersConfig providers) {
    String provider = models.providerOf(model).orElse("");
    ProvidersConfig.Provider settings = providers.providers().get(provider);
    if (settings != null && ProvidersConfig.SIMULATED.equals(settings.kind())) {
      return true;
    }
    Optional<Price> price = models.priceOf(model);
    return price.isEmpty()
        || (price.get().inputPerMtok().signum() == 0
            && price.get().cachedInputPerMtok().signum() == 0
            && price.get().cacheWritePerMtok().signum() == 0
            && price.get().outputPerMtok().signum() == 0);
  }
}
