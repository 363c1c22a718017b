package io.llmq.common.pricing;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Answers which models exist, which provider serves each, and what it costs. */
@ApplicationScoped
public class ModelCatalog {

  private final ModelsConfig config;

  ModelCatalog(ModelsConfig config) {
    this.config = config;
  }

  public boolean knows(String model) {
    return config.models().containsKey(model);
  }

  /** Model names in a stable order, for error messages. */
  public Set<String> names() {
    return new TreeSet<>(config.models().keySet());
  }

  public Optional<String> providerOf(String model) {
    return Optional.ofNullable(config.models().get(model)).map(ModelsConfig.Model::provider);
  }

  /** The name the provider knows the model by (differs from the model's own for aliases). */
  public Optional<String> upstreamNameOf(String model) {
    return Optional.ofNullable(config.models().get(model))
        .map(m -> m.upstreamModel().orElse(model));
  }

  public Optional<Price> priceOf(String model) {
    return Optional.ofNullable(config.models().get(model))
        .map(m ->
            new Price(
                m.inputUsdPerMtok(),
                m.cachedInputUsdPerMtok().orElse(m.inputUsdPerMtok()),
                m.cacheWriteUsdPerMtok().orElse(m.inputUsdPerMtok()),
                m.outputUsdPerMtok()));
  }
}
