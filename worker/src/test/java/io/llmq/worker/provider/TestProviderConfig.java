package io.llmq.worker.provider;

import io.llmq.common.provider.LimiterCounting;
import io.llmq.common.provider.ProvidersConfig;
import java.time.Duration;
import java.util.Optional;

/** A provider configuration for adapter tests, pointing at a test server. */
public record TestProviderConfig(
    String kind, String url, String key, boolean stream, Duration firstByteTimeout, Duration idle)
    implements ProvidersConfig.Provider {

  public static TestProviderConfig of(String kind, String baseUrl) {
    return new TestProviderConfig(
        kind, baseUrl, "sk-test-key-123456", true, Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  public TestProviderConfig withStream(boolean on) {
    return new TestProviderConfig(kind, url, key, on, firstByteTimeout, idle);
  }

  public TestProviderConfig withFirstByteTimeout(Duration timeout) {
    return new TestProviderConfig(kind, url, key, stream, timeout, idle);
  }

  public TestProviderConfig withIdleTimeout(Duration timeout) {
    return new TestProviderConfig(kind, url, key, stream, firstByteTimeout, timeout);
  }

  @Override
  public Optional<String> baseUrl() {
    return Optional.of(url);
  }

  @Override
  public Optional<String> apiKey() {
    return Optional.ofNullable(key);
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
  public Optional<Integer> maxConcurrentCalls() {
    return Optional.empty();
  }

  @Override
  public boolean chargesMaxTokens() {
    return true;
  }

  @Override
  public Optional<LimiterCounting.Mode> limiterCount() {
    return Optional.empty();
  }

  @Override
  public double charactersPerToken() {
    return 4;
  }

  @Override
  public int messageOverhead() {
    return 3;
  }

  @Override
  public Duration connectTimeout() {
    return Duration.ofSeconds(2);
  }

  @Override
  public Duration idleTimeout() {
    return idle;
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
    return 1000;
  }
}
