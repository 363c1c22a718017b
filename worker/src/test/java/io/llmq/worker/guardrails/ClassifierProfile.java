package io.llmq.worker.guardrails;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The test settings with an unpriced model on the built-in simulator to classify ({@code
 * llmq-sim-guard}), a short classifier timeout, and the default {@code on-outage=open}.
 */
public class ClassifierProfile implements QuarkusTestProfile {

  /** The classifier model the tests' tenants choose. */
  static final String MODEL = "llmq-sim-guard";

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "llmq.models." + MODEL + ".provider",
        "simulated",
        "llmq.guardrails.injection.classifier-timeout",
        "1s");
  }

  /** The same, with {@code llmq.guardrails.injection.on-outage=closed}. */
  public static class Closed extends ClassifierProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      Map<String, String> overrides = new java.util.HashMap<>(super.getConfigOverrides());
      overrides.put("llmq.guardrails.injection.on-outage", "closed");
      return overrides;
    }
  }
}
