package io.llmq.worker.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {

  private static final List<Duration> DEFAULT =
      List.of(
          Duration.ofSeconds(5),
          Duration.ofMinutes(5),
          Duration.ofMinutes(30),
          Duration.ofHours(2),
          Duration.ofHours(5),
          Duration.ofHours(10));

  @Test
  void eachFailureWaitsItsScheduledTimeWithinTheJitter() {
    RetrySchedule schedule = new RetrySchedule(DEFAULT, 0.2);
    for (int attempt = 1; attempt <= DEFAULT.size(); attempt++) {
      long planned = DEFAULT.get(attempt - 1).toMillis();
      for (int i = 0; i < 200; i++) {
        long wait = schedule.after(attempt).orElseThrow().toMillis();
        assertTrue(wait >= planned * 0.8 && wait <= planned * 1.2, "attempt " + attempt);
      }
    }
  }

  @Test
  void theJitterSpreadsRetries() {
    RetrySchedule schedule = new RetrySchedule(DEFAULT, 0.2);
    long distinct =
        java.util.stream.IntStream.range(0, 50)
            .mapToObj(i -> schedule.after(2).orElseThrow())
            .distinct()
            .count();
    assertTrue(distinct > 10);
  }

  @Test
  void theDeliveryIsGivenUpAfterTheLastWaitsAttempt() {
    RetrySchedule schedule = new RetrySchedule(DEFAULT, 0);
    assertEquals(7, schedule.attempts());
    assertEquals(Optional.of(Duration.ofHours(10)), schedule.after(6));
    assertEquals(Optional.empty(), schedule.after(7));
  }
}
