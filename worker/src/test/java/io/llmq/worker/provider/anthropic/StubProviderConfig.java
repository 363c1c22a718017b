package io.llmq.worker.provider.anthropic;

import io.llmq.worker.provider.ProvidersConfig;
import java.time.Duration;
import java.util.Optional;

/** An Anthropic provider's settings without Quarkus config: what the tests vary, defaults else. */
record StubProviderConfig(String url, boolean streams, Duration firstByte)
    implements ProvidersConfig.Provider {

  static StubProviderConfig at(String url) {
    return new StubProviderConfig(url, true, Duration.ofSeconds(5));
  }

  StubProviderConfig withoutStreaming() {
    return new StubProviderConfig(url, false, firstByte);
  }

  StubProviderConfig withFirstByteTimeout(Duration timeout) {
    return new StubProviderConfig(url, streams, timeout);
  }

  @Override
  public String kind() {
    return AnthropicProvider.KIND;
  }

  @Override
  public Optional<String> baseUrl() {
    return Optional.of(url);
  }

  @Override
  public Optional<String> apiKey() {
    return Optional.of("test-key");
  }

  @Override
  public Optional<Boolean> enabled() {
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
  public boolean stream() {
    return streams;
  }

  @Override
  public Duration connectTimeout() {
    return Duration.ofSeconds(5);
  }

  @Override
  public Duration firstByteTimeout() {
    return firstByte;
  }

  @Override
  public Duration idleTimeout() {
    return Duration.ofSeconds(5);
  }

  @Override
  public int defaultMaxTokens() {
    return 4096;
  }

  @Override
  public String anthropicVersion() {
    return "2023-06-01";
  }

  @Override
  public Duration timeToFirstToken() {
    return Duration.ZERO;
  }

  @Override
  public int tokensPerSecond() {
    return 0;
  }
}
