package io.llmq.common.pricing;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * A model of the catalog for tests of its start-up checks: a simulated, unpriced model with only
 * the limits and the fallback chain given.
 */
record ModelEntry(
    Optional<Long> contextWindow, Optional<Long> maxOutputTokens, Optional<List<String>> fallbacks)
    implements ModelsConfig.Model {

  /** A model with this window and output limit ({@code null}: not configured), no fallbacks. */
  static ModelEntry limits(Long window, Long output) {
    return new ModelEntry(
        Optional.ofNullable(window), Optional.ofNullable(output), Optional.empty());
  }

  /** A model with this fallback chain (empty: none) and no limits. */
  static ModelEntry chain(List<String> chain) {
    return new ModelEntry(
        Optional.empty(),
        Optional.empty(),
        chain.isEmpty() ? Optional.empty() : Optional.of(chain));
  }

  @Override
  public String provider() {
    return "simulated";
  }

  @Override
  public Optional<String> upstreamModel() {
    return Optional.empty();
  }

  @Override
  public Optional<Long> tokensPerMinute() {
    return Optional.empty();
  }

  @Override
  public Optional<Long> requestsPerMinute() {
    return Optional.empty();
  }

  @Override
  public Optional<BigDecimal> inputUsdPerMtok() {
    return Optional.empty();
  }

  @Override
  public Optional<BigDecimal> cachedInputUsdPerMtok() {
    return Optional.empty();
  }

  @Override
  public Optional<BigDecimal> cacheWriteUsdPerMtok() {
    return Optional.empty();
  }

  @Override
  public Optional<BigDecimal> outputUsdPerMtok() {
    return Optional.empty();
  }
}
