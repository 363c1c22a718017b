package io.llmq.worker.guardrails;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.worker.provider.ProviderException;
import org.junit.jupiter.api.Test;

/** How a classifier model's answer is read. */
class InjectionClassifierTest {

  @Test
  void theFirstWordDecidesWhateverItsCaseOrPunctuation() {
    assertTrue(InjectionClassifier.verdict("INJECTION"));
    assertTrue(InjectionClassifier.verdict(" injection."));
    assertTrue(InjectionClassifier.verdict("unsafe\nS1"));
    assertFalse(InjectionClassifier.verdict("SAFE"));
    assertFalse(InjectionClassifier.verdict("**Safe**"));
  }

  @Test
  void anyOtherAnswerIsMalformed() {
    for (String answer : new String[] {"", "maybe", "I cannot tell.", "SAFEST", "NOT SAFE"}) {
      assertThrows(ProviderException.class, () -> InjectionClassifier.verdict(answer), answer);
    }
  }
}
