package io.llmq.worker.provider;

import io.llmq.common.pricing.ModelCatalog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Finds the provider that serves a model. */
@ApplicationScoped
public class Providers {

  private final Map<String, ChatProvider> byName = new HashMap<>();
  private final ModelCatalog models;

  Providers(Instance<ChatProvider> providers, ModelCatalog models) {
    providers.forEach(provider -> byName.put(provider.name(), provider));
    this.models = models;
  }

  public Optional<ChatProvider> forModel(String model) {
    return models.providerOf(model).map(byName::get);
  }
}
