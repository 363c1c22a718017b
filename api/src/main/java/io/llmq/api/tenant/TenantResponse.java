package io.llmq.api.tenant;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * A tenant as the API shows it, with what it spent and holds reserved in the current UTC month
 * (SPEC §2 Auth).
 */
public record TenantResponse(
    UUID id,
    String name,
    Limits limits,
    String alertWebhookUrl,
    String webhookSecret,
    BigDecimal spentUsd,
    BigDecimal reservedUsd,
    Instant createdAt,
    Instant updatedAt) {

  /** A tenant's limits; {@code null} means unlimited. */
  public record Limits(
      Integer requestsPerMinute,
      Integer tokensPerMinute,
      Integer maxConcurrentJobs,
      BigDecimal monthlyBudgetUsd) {}

  static TenantResponse of(Tenant tenant, BudgetUse use) {
    return new TenantResponse(
        tenant.id,
        tenant.name,
        new Limits(
            tenant.requestsPerMinute,
            tenant.tokensPerMinute,
            tenant.maxConcurrentJobs,
            amount(tenant.monthlyBudgetUsd)),
        tenant.alertWebhookUrl,
        tenant.webhookSecret,
        amount(use.spentUsd()),
        amount(use.reservedUsd()),
        tenant.createdAt,
        tenant.updatedAt);
  }

  /** An amount without the padding of its column's scale: {@code 12.5}, not {@code 12.500000}. */
  static BigDecimal amount(BigDecimal usd) {
    if (usd == null) {
      return null;
    }
    BigDecimal exact = usd.stripTrailingZeros();
    return exact.scale() < 0 ? exact.setScale(0) : exact;
  }
}
