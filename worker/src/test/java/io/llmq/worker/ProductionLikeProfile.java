package io.llmq.worker;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The test settings with two production defaults back: the webhook SSRF guard on (no plain http, no
 * private addresses) and the governor's 30 s max-hold, so a job can be seen waiting for capacity
 * while holding its message.
 */
public class ProductionLikeProfile implements QuarkusTestProfile {

  @Override
  public Map<String, String> getConfigOverrides() {
    // Profiled keys too: the test profile's own %test. values must not outrank these.
    return Map.of(
        "llmq.webhooks.allow-insecure", "false",
        "%test.llmq.webhooks.allow-insecure", "false",
        "llmq.governor.max-hold", "30s",
        "%test.llmq.governor.max-hold", "30s");
  }
}
