package io.llmq.api.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RefusalsTest {

  private final UUID tenant = UUID.randomUUID();

  @Test
  void refusalsAreCountedPerTenant() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new Refusals(registry, true).rateLimited(tenant);
    new Refusals(registry, true).rateLimited(tenant);
    assertEquals(
        2,
        registry
            .get(Refusals.METER)
            .tag("reason", "rate_limited")
            .tag("tenant", tenant.toString())
            .counter()
            .count());
  }

  @Test
  void theTenantTagIsDroppedWhenTenantLabelsAreOff() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new Refusals(registry, false).rateLimited(tenant);
    var counter = registry.get(Refusals.METER).tag("reason", "rate_limited").counter();
    assertEquals(1, counter.count());
    assertNull(counter.getId().getTag("tenant"));
  }
}
