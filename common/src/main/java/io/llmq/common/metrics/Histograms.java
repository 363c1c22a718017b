package io.llmq.common.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Histogram buckets for every llmq timer and for Quarkus's {@code http.server.requests}, so a p99
 * is {@code histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[5m])))}. Fixed buckets
 * ({@link #BUCKETS}, 5 ms to 5 min) rather than Micrometer's percentile histogram (about 70 buckets
 * per series), so the series count stays bounded: 17 {@code _bucket} lines per label set. Quarkus
 * applies {@link MeterFilter} beans to its registries.
 */
@Singleton
public class Histograms {

  /** The bucket bounds, in seconds as Prometheus shows them ({@code le}). */
  static final Duration[] BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(20),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60),
    Duration.ofSeconds(120),
    Duration.ofSeconds(300)
  };

  @Produces
  @Singleton
  MeterFilter latencyBuckets() {
    double[] nanos = new double[BUCKETS.length];
    for (int i = 0; i < BUCKETS.length; i++) {
      nanos[i] = BUCKETS[i].toNanos();
    }
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || !bucketed(id.getName())) {
          return config;
        }
        return DistributionStatisticConfig.builder()
            .percentilesHistogram(false)
            .serviceLevelObjectives(nanos)
            .build()
            .merge(config);
      }
    };
  }

  static boolean bucketed(String name) {
    return name.startsWith("llmq.") || name.equals("http.server.requests");
  }
}
