package io.llmq.worker.metrics;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * A priced OpenAI-compatible provider ({@code mt-http}, model {@code mt-model}) served by the
 * test's own HTTP server on {@link #PORT}, which also receives webhooks; gauges refreshed every
 * second.
 */
public class MetricsProfile implements QuarkusTestProfile {

  /**
   * Chosen once per JVM: the profile and the test class may be loaded by different class loaders,
   * so the port is kept in a system property both see.
   */
  static final int PORT =
      Integer.parseInt(
          (String)
              System.getProperties()
                  .computeIfAbsent("llmq.test.metrics-port", key -> Integer.toString(freePort())));

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Map<String, String> getConfigOverrides() {
    Map<String, String> config = new HashMap<>();
    config.put("llmq.providers.mt-http.kind", "openai");
    config.put("llmq.providers.mt-http.base-url", "http://127.0.0.1:" + PORT + "/v1");
    config.put("llmq.providers.mt-http.api-key", "sk-metrics-test-0000");
    config.put("llmq.models.mt-model.provider", "mt-http");
    config.put("llmq.models.mt-model.input-usd-per-mtok", "1.00");
    config.put("llmq.models.mt-model.cached-input-usd-per-mtok", "0.50");
    config.put("llmq.models.mt-model.output-usd-per-mtok", "2.00");
    config.put("llmq.models.mt-model.max-output-tokens", "1000");
    config.put("llmq.models.mt-model.context-window", "128000");
    config.put("llmq.metrics.backlog-interval", "1s");
    return config;
  }
}
