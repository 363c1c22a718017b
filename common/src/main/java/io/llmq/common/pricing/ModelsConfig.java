package io.llmq.common.pricing;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The models llmq accepts, keyed by the name clients send ({@code llmq.models."gpt-4o-mini".*}). A
 * model that is not listed is refused at submit. An entry may be an alias: a name of llmq's own
 * that is sent upstream as {@link Model#upstreamModel()}. Defaults are in this module's {@code
 * META-INF/microprofile-config.properties}.
 */
@ConfigMapping(prefix = "llmq.models")
public interface ModelsConfig {

  @WithParentName
  Map<String, Model> models();

  /**
   * Fails start-up on a model whose {@code context-window} or {@code max-output-tokens} is below 1,
   * or whose output limit exceeds its window: such a model would refuse every request at submit.
   */
  default void checkLimits() {
    models()
        .forEach((name, model) -> {
          String prefix = "llmq.models.\"" + name + "\".";
          model
              .contextWindow()
              .filter(window -> window < 1)
              .ifPresent(window -> {
                throw new IllegalStateException(prefix + "context-window must be at least 1");
              });
          model
              .maxOutputTokens()
              .filter(output -> output < 1)
              .ifPresent(output -> {
                throw new IllegalStateException(prefix + "max-output-tokens must be at least 1");
              });
          if (model.contextWindow().isPresent()
              && model.maxOutputTokens().isPresent()
              && model.maxOutputTokens().get() > model.contextWindow().get()) {
            throw new IllegalStateException(
                prefix
                    + "max-output-tokens ("
                    + model.maxOutputTokens().get()
                    + ") must not exceed its context-window ("
                    + model.contextWindow().get()
                    + ")");
          }
        });
  }

  /** One model: who serves it, under which name, and what it costs. */
  interface Model {

    /**
     * Provider name ({@code llmq.providers."<name>"}) that serves the model. Default {@code
     * simulated}.
     */
    @WithDefault("simulated")
    String provider();

    /** The name the provider knows the model by. Default: the entry's own name. */
    Optional<String> upstreamModel();

    /**
     * The model's own tokens-per-minute limit at its provider, governed beside the provider's
     * (OpenAI, for one, limits each model separately). Default: none.
     */
    Optional<Long> tokensPerMinute();

    /** The model's own requests-per-minute limit at its provider. Default: none. */
    Optional<Long> requestsPerMinute();

    /**
     * USD per million prompt tokens. Default: none, and a model without both an input and an output
     * price is unpriced: it costs 0, and a tenant or key with a budget cannot submit to it.
     */
    Optional<BigDecimal> inputUsdPerMtok();

    /** USD per million prompt tokens read from the provider's cache. Default: the input price. */
    Optional<BigDecimal> cachedInputUsdPerMtok();

    /** USD per million prompt tokens written to the provider's cache. Default: the input price. */
    Optional<BigDecimal> cacheWriteUsdPerMtok();

    /** USD per million completion tokens. Default: none (see {@link #inputUsdPerMtok()}). */
    Optional<BigDecimal> outputUsdPerMtok();

    /**
     * The most completion tokens one choice of the model can produce, whatever the request asks:
     * the output half of a call's worst case when the request sets no {@code max_tokens}, and the
     * most a submit may ask for ({@code max_tokens} or {@code max_completion_tokens} above it is
     * 400). Default: none, and then the api checks no output limit and the worker caps a request
     * without {@code max_tokens} of a budgeted job at its provider's {@code default-max-tokens}.
     */
    Optional<Long> maxOutputTokens();

    /**
     * The model's context window in tokens: prompt and completion together. At submit a request
     * whose prompt (counted with {@code TokenEstimator}) plus its {@code max_tokens} (or, without
     * one, its provider's {@code default-max-tokens}, at most {@link #maxOutputTokens()}) exceeds
     * it is refused with {@code context_policy: reject}, or has its oldest turns dropped with
     * {@code trim}. Default: none, and then the api checks nothing and trims nothing: the provider
     * is left to refuse an oversized request, which fails the job {@code context_length_exceeded}.
     */
    Optional<Long> contextWindow();

    /**
     * Other models ({@code llmq.models."<name>"}, possibly on other providers) that serve this
     * model's jobs, in this order, when its provider is out: its circuit is open, the job's
     * transient attempts ran out, or a 429 paused it longer than {@code llmq.fallbacks.max-wait}.
     * Only this model's own list counts (a fallback's list is not followed). Every name must be a
     * configured model, and no chain may lead back to where it started: otherwise the app refuses
     * to start. Default: none.
     */
    Optional<List<String>> fallbacks();
  }
}
