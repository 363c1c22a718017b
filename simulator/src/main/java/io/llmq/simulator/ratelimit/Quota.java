package io.llmq.simulator.ratelimit;

import java.time.Duration;

/** One bucket as the rate-limit headers show it: size, what is left, time until full again. */
public record Quota(long limit, long remaining, Duration untilFull) {}
