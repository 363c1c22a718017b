package io.llmq.simulator.settings;

import java.time.Duration;

/**
 * The simulator's settings in force; see {@link SimulatorConfig} for what each means. Invalid
 * values are refused at construction, so a bad environment variable stops the start-up and a bad
 * {@code PUT /admin/config} is a 400.
 */
public record Settings(
    long tokensPerMinute,
    long requestsPerMinute,
    Duration timeToFirstToken,
    int tokensPerSecond,
    double errorRate,
    double resetRate,
    double hangRate,
    double malformedRate,
    boolean refundUnused,
    LimiterCount limiterCount,
    boolean outage) {

  public Settings {
    require(tokensPerMinute >= 1, "tokens_per_minute must be at least 1");
    require(requestsPerMinute >= 1, "requests_per_minute must be at least 1");
    require(
        timeToFirstToken != null && !timeToFirstToken.isNegative(),
        "time_to_first_token must not be negative");
    require(tokensPerSecond >= 1, "tokens_per_second must be at least 1");
    for (double rate : new double[] {errorRate, resetRate, hangRate, malformedRate}) {
      require(rate >= 0 && rate <= 1, "fault rates must lie between 0 and 1");
    }
    require(
        errorRate + resetRate + hangRate + malformedRate <= 1,
        "fault rates must not add up to more than 1");
    require(limiterCount != null, "limiter_count must be tokenizer or characters");
  }

  static Settings from(SimulatorConfig config) {
    return new Settings(
        config.tokensPerMinute(),
        config.requestsPerMinute(),
        config.timeToFirstToken(),
        config.tokensPerSecond(),
        config.errorRate(),
        config.resetRate(),
        config.hangRate(),
        config.malformedRate(),
        config.refundUnused(),
        LimiterCount.fromWire(config.limiterCount()),
        config.outage());
  }

  /**
   * Whether both settings give the same bucket sizes (buckets restart when they change). A change
   * of {@code limiter_count} keeps the buckets: it changes what later calls are charged.
   */
  public boolean sameLimits(Settings other) {
    return tokensPerMinute == other.tokensPerMinute && requestsPerMinute == other.requestsPerMinute;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
