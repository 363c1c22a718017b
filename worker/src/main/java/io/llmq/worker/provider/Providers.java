package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.common.request.TokenEstimator;
import io.llmq.worker.config.WorkerConfig;
import io.llmq.worker.provider.anthropic.AnthropicProvider;
import io.llmq.worker.provider.openai.OpenAiProvider;
import io.llmq.worker.provider.simulated.SimulatedProvider;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds one adapter per configured provider and finds the one that serves a model. A model whose
 * provider is not configured (no key) is served by the {@code simulated} provider while {@code
 * llmq.worker.simulate-unconfigured-providers} is on, so the system runs with no key at all; the
 * start-up log names every model that is simulated.
 */
@Startup
@ApplicationScoped
public class Providers {

  /** Where a model's calls go: the adapter, and the model's name as that provider knows it. */
  /**
   * Where a model's calls go: the provider, its settings, the model's name there, and the model's
   * own limits at that provider ({@link ModelCatalog.Limits#NONE} when only the provider's apply).
   */
  public record Route(
      ChatProvider provider,
      ProvidersConfig.Provider settings,
      String upstreamModel,
      ModelCatalog.Limits modelLimits) {}

  private final Map<String, ChatProvider> byName = new HashMap<>();
  private final ProvidersConfig config;
  private final ModelCatalog models;
  private final boolean simulateUnconfigured;

  Providers(
      ProvidersConfig config,
      ModelCatalog models,
      WorkerConfig worker,
      Vertx vertx,
      ObjectMapper json) {
    this.models = models;
    this.config = config;
    this.simulateUnconfigured = worker.simulateUnconfiguredProviders();
    TokenEstimator.warmUp();
    config
        .providers()
        .forEach((name, provider) -> {
          if (SimulatedProvider.KIND.equals(provider.kind()) || provider.configured()) {
            byName.put(name, create(name, provider, vertx, json));
          }
        });
    Set<String> simulated = new TreeSet<>();
    for (String model : models.names()) {
      String provider = models.providerOf(model).orElseThrow();
      if (!byName.containsKey(provider) && !SimulatedProvider.KIND.equals(provider)) {
        simulated.add(model + " (" + provider + ")");
      }
    }
    if (!simulated.isEmpty()) {
      Log.warnf(
          simulateUnconfigured
              ? "No API key for these models' providers; the simulator answers them: %s"
              : "No API key for these models' providers; their jobs will fail: %s",
          simulated);
    }
  }

  private static ChatProvider create(
      String name, ProvidersConfig.Provider config, Vertx vertx, ObjectMapper json) {
    return switch (config.kind()) {
      case SimulatedProvider.KIND -> new SimulatedProvider(name, config, json);
      case OpenAiProvider.KIND -> new OpenAiProvider(name, config, vertx, json);
      case AnthropicProvider.KIND -> new AnthropicProvider(name, config, vertx, json);
      default ->
          throw new IllegalStateException(
              "llmq.providers." + name + ".kind must be openai, anthropic or simulated");
    };
  }

  /**
   * The providers whose calls the governor's waiting room orders: every configured one but the
   * built-in simulator, which needs no governing.
   */
  public Set<String> governed() {
    Set<String> names = new TreeSet<>();
    byName.forEach((name, provider) -> {
      if (!SimulatedProvider.KIND.equals(config.providers().get(name).kind())) {
        names.add(name);
      }
    });
    return names;
  }

  public Optional<Route> forModel(String model) {
    Optional<String> provider = models.providerOf(model);
    if (provider.isEmpty()) {
      return Optional.empty();
    }
    String upstream = models.upstreamNameOf(model).orElse(model);
    ChatProvider adapter = byName.get(provider.get());
    if (adapter == null && simulateUnconfigured) {
      adapter = byName.get(SimulatedProvider.KIND);
    }
    return Optional.ofNullable(adapter)
        .map(found ->
            new Route(
                found, config.providers().get(found.name()), upstream, models.limitsOf(model)));
  }
}
