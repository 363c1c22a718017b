package io.llmq.worker.provider.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.llmq.common.job.FailureCode;
import org.junit.jupiter.api.Test;

class DirectivesTest {

  @Test
  void directivesAreReadFromAnywhereInThePrompt() {
    Directives directives =
        Directives.in(
            "hello [[sim delay_ms=250]] and [[sim tokens=7]] [[sim fail=upstream_error]]");
    assertEquals(250L, directives.delayMs());
    assertEquals(7, directives.tokens());
    assertEquals(FailureCode.UPSTREAM_ERROR, directives.fail());
  }

  @Test
  void valuesAreCappedBecausePromptsComeFromTenants() {
    Directives directives = Directives.in("[[sim delay_ms=99999999999]] [[sim tokens=200000000]]");
    assertEquals(Directives.MAX_DELAY_MS, directives.delayMs());
    assertEquals(Directives.MAX_TOKENS, directives.tokens());
  }

  @Test
  void plainPromptsAndUnknownValuesHaveNoDirectives() {
    Directives directives = Directives.in("[[sim fail=meltdown]] [sim tokens=3]");
    assertNull(directives.delayMs());
    assertNull(directives.tokens());
    assertNull(directives.fail());
  }
}
