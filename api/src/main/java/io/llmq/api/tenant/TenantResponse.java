package io.llmq.api.tenant;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** A tenant as the API shows it. */
public record TenantResponse(
    UUID id,
    String name,
    Limits limits,
    String webhookSecret,
    Instant createdAt,
    Instant updatedAt) {

  /** A tenant's limits; {@code null} means unlimited. */
  public record Limits(
      Integer requestsPerMinute,
      Integer tokensPerMinute,
      Integer maxConcurrentJobs,
      BigDecimal monthlyBudgetUsd) {}

  static TenantResponse of(Tenant tenant) {
    return new TenantResponse(
        tenant.id,
        tenant.name,
        new Limits(
            tenant.requestsPerMinute,
            tenant.tokensPerMinute,
            tenant.maxConcurrentJobs,
            tenant.monthlyBudgetUsd),
        tenant.webhookSecret,
        tenant.createdAt,
        tenant.updatedAt);
  }
}
