package io.llmq.worker.tracing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The SDK on, as {@code LLMQ_OTLP_ENDPOINT} turns it on, with spans kept in memory only. */
public class TracingProfile implements QuarkusTestProfile {

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "quarkus.otel.sdk.disabled", "false",
        "quarkus.otel.exporter.otlp.enabled", "false",
        "quarkus.otel.traces.sampler", "always_on");
  }
}
