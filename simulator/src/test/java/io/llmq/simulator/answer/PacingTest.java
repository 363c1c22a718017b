package io.llmq.simulator.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PacingTest {

  private static final long MS = 1_000_000;

  private final Pacing pacing = new Pacing(Duration.ofMillis(200), 50);

  @Test
  void theFirstTokenComesAfterTheTimeToFirstTokenThenOneEveryInterval() {
    assertEquals(200 * MS, pacing.dueAt(0));
    assertEquals(220 * MS, pacing.dueAt(1));
    assertEquals(0, pacing.dueBy(199 * MS));
    assertEquals(1, pacing.dueBy(200 * MS));
    assertEquals(1, pacing.dueBy(219 * MS));
    assertEquals(2, pacing.dueBy(220 * MS));
  }

  @Test
  void aWholeAnswerTakesUntilItsLastTokenIsDue() {
    assertEquals(Duration.ofMillis(200 + 9 * 20), pacing.total(10));
    assertEquals(Duration.ofMillis(200), pacing.total(1));
  }
}
