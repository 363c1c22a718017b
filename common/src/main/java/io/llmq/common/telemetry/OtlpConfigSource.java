package io.llmq.common.telemetry;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Tracing is one setting: {@code LLMQ_OTLP_ENDPOINT}. When it names a collector, the OpenTelemetry
 * SDK is switched on and exports spans there over OTLP; when it is unset or blank, the SDK stays
 * off ({@code quarkus.otel.sdk.disabled=true} in the shared defaults) and no span costs anything.
 * Both are runtime settings in Quarkus, so one packaged jar serves either way.
 *
 * <p>Its ordinal sits above the shared defaults (100) and below each app's {@code
 * application.properties} (250) and the environment (300): an explicit {@code
 * QUARKUS_OTEL_SDK_DISABLED} or {@code QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT} still wins.
 */
public class OtlpConfigSource implements ConfigSource {

  public static final String ENV = "LLMQ_OTLP_ENDPOINT";

  private final Map<String, String> values;

  public OtlpConfigSource() {
    this(System.getenv(ENV));
  }

  OtlpConfigSource(String endpoint) {
    this.values =
        endpoint == null || endpoint.isBlank()
            ? Map.of()
            : Map.of(
                "quarkus.otel.sdk.disabled",
                "false",
                "quarkus.otel.exporter.otlp.endpoint",
                endpoint.strip());
  }

  @Override
  public Set<String> getPropertyNames() {
    return values.keySet();
  }

  @Override
  public String getValue(String propertyName) {
    return values.get(propertyName);
  }

  @Override
  public String getName() {
    return "llmq-otlp-endpoint";
  }

  @Override
  public int getOrdinal() {
    return 150;
  }
}
