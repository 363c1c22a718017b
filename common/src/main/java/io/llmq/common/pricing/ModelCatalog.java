package io.llmq.common.pricing;

import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
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
