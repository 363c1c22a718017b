package io.llmq.simulator.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmq.simulator.settings.LimiterCount;
import io.llmq.simulator.settings.Settings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FaultTest {

  @Test
  void aRollLandsOnTheFaultWhoseShareItFallsIn() {
    Settings settings =
        new Settings(
            1, 1, Duration.ZERO, 1, 0.1, 0.2, 0.3, 0.1, false, LimiterCount.TOKENIZER, false);

    assertEquals(Fault.ERROR, Fault.draw(settings, 0.0));
    assertEquals(Fault.RESET, Fault.draw(settings, 0.15));
    assertEquals(Fault.HANG, Fault.draw(settings, 0.5));
    assertEquals(Fault.MALFORMED, Fault.draw(settings, 0.65));
    assertNull(Fault.draw(settings, 0.75));
  }

  @Test
  void ratesOfZeroNeverFault() {
    assertNull(
        Fault.draw(
            new Settings(1, 1, Duration.ZERO, 1, 0, 0, 0, 0, false, LimiterCount.TOKENIZER, false),
            0.0));
  }

  @Test
  void theHeaderNamesForcedFaults() {
    assertEquals(Fault.STATUS_529, Fault.forcedBy("529"));
    assertEquals(Fault.CONTEXT_LENGTH, Fault.forcedBy("context_length"));
    assertNull(Fault.forcedBy(null));
    assertThrows(InvalidRequest.class, () -> Fault.forcedBy("error"));
  }
}
