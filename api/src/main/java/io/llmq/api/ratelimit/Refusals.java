package io.llmq.api.ratelimit;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Counts refused submits in {@code llmq.submits.refused}, tagged {@code reason} and, unless {@code
 * llmq.metrics.tenant-label=false} (many tenants, costly series), {@code tenant}.
 */
@ApplicationScoped
class Refusals {

  static final String METER = "llmq.submits.refused";

  private final MeterRegistry metrics;
  private final boolean tenantLabel;

  Refusals(
      MeterRegistry metrics,
      @ConfigProperty(name = "llmq.metrics.tenant-label", defaultValue = "true")
          boolean tenantLabel) {
    this.metrics = metrics;
    this.tenantLabel = tenantLabel;
  }

  void rateLimited(UUID tenantId) {
    if (tenantLabel) {
      metrics.counter(METER, "reason", "rate_limited", "tenant", tenantId.toString()).increment();
    } else {
      metrics.counter(METER, "reason", "rate_limited").increment();
    }
  }
}
