package io.llmq.common.guardrails;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardrailsTest {

  @Test
  void theStoredFormIsSnakeCaseWithEveryFieldAndReadsBackEqual() {
    Guardrails guardrails =
        Guardrails.NONE
            .withModeration(
                new Verdict(true, "local-rules", List.of("violence"), Map.of("violence", 0.9)))
            .withRepairs(1)
            .withTrimmedMessages(3);
    String json = guardrails.json();
    assertEquals(
        "{\"moderation\":{\"flagged\":true,\"checker\":\"local-rules\",\"categories\":[\"violence\"],"
            + "\"scores\":{\"violence\":0.9}},\"injection\":null,\"repairs\":1,\"trimmed_messages\":3}",
        json);
    assertEquals(guardrails, Guardrails.parse(json));
  }

  @Test
  void nothingStoredReadsAsNull() {
    assertNull(Guardrails.parse(null));
  }

  @Test
  void policiesReadTheirWireNamesOnly() {
    assertEquals(Policy.BLOCK, Policy.fromWire("block").orElseThrow());
    assertEquals(true, Policy.fromWire("Block").isEmpty());
    assertEquals(
        new TenantPolicies(Policy.FLAG, Policy.OFF, false),
        TenantPolicies.of("flag", "off", "off"));
  }
}
