package io.llmq.simulator.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {

  @Test
  void durationsReadAsGoPrintsThem() {
    assertEquals("0s", GoDuration.format(Duration.ZERO));
    assertEquals("120ms", GoDuration.format(Duration.ofMillis(120)));
    assertEquals("1s", GoDuration.format(Duration.ofSeconds(1)));
    assertEquals("1.25s", GoDuration.format(Duration.ofMillis(1250)));
    assertEquals("6m0s", GoDuration.format(Duration.ofMinutes(6)));
    assertEquals("1m30.5s", GoDuration.format(Duration.ofMillis(90_500)));
    assertEquals("2h0m1s", GoDuration.format(Duration.ofSeconds(7201)));
  }

  @Test
  void partsOfAMillisecondRoundUpSoANotQuiteFullBucketNeverReadsZero() {
    assertEquals("1ms", GoDuration.format(Duration.ofNanos(1)));
    assertEquals("1.001s", GoDuration.format(Duration.ofNanos(1_000_000_001)));
  }
}
