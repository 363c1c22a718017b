package io.llmq.common.provider;

import io.llmq.common.pricing.ModelCatalog;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * Which provider's settings and limits a model's calls count against, decided as the worker routes
 * them: the model's provider when it is configured (it has a key, or is {@code enabled}) or is
 * itself a simulator, otherwise the provider named {@code simulated}, which answers in its place
 * (the worker does so while {@code llmq.worker.simulate-unconfigured-providers} is on; with it off
 * such jobs fail, so counting them against the simulator refuses nothing that could have run).
 * Checks every provider's limiter settings, every model's limits and every model's fallback chain
 * at start-up.
 */
@Startup
@ApplicationScoped
public class ProviderRoutes {

  /** The built-in simulator's provider name, which answers for unconfigured providers. */
  public static final String FALLBACK = "simulated";

  /**
   * Where a model's calls go.
   *
   * @param provider the provider's name ({@code llmq.providers."<name>"})
   * @param upstreamModel the model's name at the provider
   * @param modelLimits the model's own limits there; {@link ModelCatalog.Limits#NONE} for none
   */
  public record Route(
      String provider,
      ProvidersConfig.Provider settings,
      String upstreamModel,
      ModelCatalog.Limits modelLimits) {

    /** Whether the provider's and the model's limits apply: not for the built-in simulator. */
    public boolean governed() {
      return !ProvidersConfig.SIMULATED.equals(settings.kind());
    }
  }

  private final ProvidersConfig providers;
  private final ModelCatalog models;

  ProviderRoutes(ProvidersConfig providers, ModelCatalog models) {
    this.providers = providers;
    this.models = models;
    providers.checkCounting();
    models.checkLimits();
    models.checkFallbacks();
  }

  /** The route of {@code model}; empty for an unknown model or when nothing can serve it. */
  public Optional<Route> of(String model) {
    Optional<String> named = models.providerOf(model);
    if (named.isEmpty()) {
      return Optional.empty();
    }
    String provider = named.get();
    ProvidersConfig.Provider settings = providers.providers().get(provider);
    if (settings == null
        || !(ProvidersConfig.SIMULATED.equals(settings.kind()) || settings.configured())) {
      provider = FALLBACK;
      settings = providers.providers().get(FALLBACK);
    }
    if (settings == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Route(
            provider,
            settings,
            models.upstreamNameOf(model).orElse(model),
            models.limitsOf(model)));
  }
}
