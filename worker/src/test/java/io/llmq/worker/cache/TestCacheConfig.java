package io.llmq.worker.cache;

import io.llmq.common.cache.CacheConfig;
import java.time.Duration;

/** A cache configuration for tests that build their own {@link ResultCache} replicas. */
record TestCacheConfig(
    Scope scope, Duration ttl, Duration lease, Duration recheckInterval, Duration maxWait)
    implements CacheConfig {

  static TestCacheConfig standard() {
    return new TestCacheConfig(
        Scope.TENANT,
        Duration.ofMinutes(5),
        Duration.ofSeconds(3),
        Duration.ofMillis(250),
        Duration.ofSeconds(30));
  }

  TestCacheConfig withScope(Scope other) {
    return new TestCacheConfig(other, ttl, lease, recheckInterval, maxWait);
  }

  TestCacheConfig withTtl(Duration other) {
    return new TestCacheConfig(scope, other, lease, recheckInterval, maxWait);
  }

  TestCacheConfig withMaxWait(Duration other) {
    return new TestCacheConfig(scope, ttl, lease, recheckInterval, other);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public Duration timeout() {
    return Duration.ofSeconds(2);
  }

  @Override
  public FlightSettings singleFlight() {
    return new FlightSettings() {
      @Override
      public boolean enabled() {
        return true;
      }

      @Override
      public Duration lease() {
        return lease;
      }

      @Override
      public Duration recheckInterval() {
        return recheckInterval;
      }

      @Override
      public Duration maxWait() {
        return maxWait;
      }
    };
  }
}
