package io.llmq.worker.fallback;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.HashMap;
import java.util.Map;

/**
 * Fallback chains over three built-in simulators with breakers of their own ({@code fbt-a}, {@code
 * fbt-b}, {@code fbt-c}), and a priced OpenAI-compatible provider ({@code fbt-p}) that is never
 * called: its jobs only ever meet its pause.
 */
public class FallbackProfile implements QuarkusTestProfile {

  @Override
  public Map<String, String> getConfigOverrides() {
    Map<String, String> config = new HashMap<>();
    for (String provider : new String[] {"fbt-a", "fbt-b", "fbt-c"}) {
      config.put("llmq.providers." + provider + ".kind", "simulated");
      config.put("llmq.providers." + provider + ".time-to-first-token", "0s");
      config.put("llmq.providers." + provider + ".tokens-per-second", "100000");
    }
    config.put("llmq.providers.fbt-p.kind", "openai");
    config.put("llmq.providers.fbt-p.base-url", "http://127.0.0.1:9/v1");
    config.put("llmq.providers.fbt-p.api-key", "sk-never-called-0000");
    config.put("llmq.models.fbt-main.provider", "fbt-a");
    config.put("llmq.models.fbt-main.fallbacks", "fbt-backup,fbt-last");
    config.put("llmq.models.fbt-backup.provider", "fbt-b");
    config.put("llmq.models.fbt-last.provider", "fbt-c");
    config.put("llmq.models.fbt-paused.provider", "fbt-p");
    config.put("llmq.models.fbt-paused.fallbacks", "fbt-backup");
    config.put("llmq.fallbacks.max-wait", "5s");
    config.put("llmq.fallbacks.circuit.guard-simulated", "true");
    config.put("llmq.fallbacks.circuit.failures-to-open", "3");
    config.put("llmq.fallbacks.circuit.open-duration", "2s");
    config.put("llmq.fallbacks.circuit.half-open-probes", "1");
    return config;
  }
}
