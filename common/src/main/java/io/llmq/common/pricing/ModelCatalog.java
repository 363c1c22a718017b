package io.llmq.common.pricing;

import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
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

  /** Fails start-up on a model with impossible limits ({@link ModelsConfig#checkLimits()}). */
  public void checkLimits() {
    config.checkLimits();
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

  /** The model's own limits at its provider, per minute; 0 where it has none. */
  public Limits limitsOf(String model) {
    return Optional.ofNullable(config.models().get(model))
        .map(m -> new Limits(m.tokensPerMinute().orElse(0L), m.requestsPerMinute().orElse(0L)))
        .orElse(Limits.NONE);
  }

  /** Tokens and requests per minute; 0 means not limited. */
  public record Limits(long tokensPerMinute, long requestsPerMinute) {
    public static final Limits NONE = new Limits(0, 0);

    public boolean any() {
      return tokensPerMinute > 0 || requestsPerMinute > 0;
    }
  }

  /** The model's price; empty for an unknown model and for one without input and output prices. */
  public Optional<Price> priceOf(String model) {
    ModelsConfig.Model m = config.models().get(model);
    if (m == null || m.inputUsdPerMtok().isEmpty() || m.outputUsdPerMtok().isEmpty()) {
      return Optional.empty();
    }
    BigDecimal input = m.inputUsdPerMtok().get();
    return Optional.of(
        new Price(
            input,
            m.cachedInputUsdPerMtok().orElse(input),
            m.cacheWriteUsdPerMtok().orElse(input),
            m.outputUsdPerMtok().get()));
  }

  /** The models that serve {@code model}'s jobs when it is out, in order; empty for none. */
  public List<String> fallbacksOf(String model) {
    return Optional.ofNullable(config.models().get(model))
        .flatMap(ModelsConfig.Model::fallbacks)
        .orElse(List.of());
  }

  /**
   * Stops the start-up with a message naming the model when a fallback chain names a model that is
   * not configured, names the model itself, or leads back to it through the chains of the models it
   * names (a cycle, which would make a job go round its chain forever).
   */
  public void checkFallbacks() {
    for (String model : names()) {
      for (String fallback : fallbacksOf(model)) {
        if (!knows(fallback)) {
          throw new IllegalStateException(
              "llmq.models.\""
                  + model
                  + "\".fallbacks names '"
                  + fallback
                  + "', which is not a configured model");
        }
      }
      List<String> path = new ArrayList<>();
      path.add(model);
      cycleFrom(model, path);
    }
  }

  private void cycleFrom(String model, List<String> path) {
    for (String next : fallbacksOf(model)) {
      if (next.equals(path.get(0)) || path.contains(next)) {
        List<String> loop = new ArrayList<>(path);
        loop.add(next);
        throw new IllegalStateException(
            "llmq.models.*.fallbacks form a cycle: " + String.join(" -> ", loop));
      }
      path.add(next);
      cycleFrom(next, path);
      path.remove(path.size() - 1);
    }
  }

  /** Whether the model has a price, so that jobs under a budget can be metered. */
  public boolean priced(String model) {
    return priceOf(model).isPresent();
  }

  /** The model's own cap on completion tokens per choice, when configured. */
  public Optional<Long> maxOutputTokensOf(String model) {
    return Optional.ofNullable(config.models().get(model))
        .flatMap(ModelsConfig.Model::maxOutputTokens);
  }

  /** The model's context window (prompt and completion tokens), when configured. */
  public Optional<Long> contextWindowOf(String model) {
    return Optional.ofNullable(config.models().get(model))
        .flatMap(ModelsConfig.Model::contextWindow);
  }

  /**
   * What one call's usage costs at {@code model}'s price: the cost of a provider call, and what a
   * cached answer saved. 0 for a model without a price.
   *
   * @param promptTokens every prompt token, cached and cache-written ones included
   */
  public BigDecimal costOf(
      String model,
      long promptTokens,
      long cachedTokens,
      long cacheWriteTokens,
      long completionTokens) {
    return priceOf(model)
        .map(price -> price.costOf(promptTokens, cachedTokens, cacheWriteTokens, completionTokens))
        .orElse(BigDecimal.ZERO);
  }
}
