package io.llmq.api.tenant;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A tenant as the API shows it, with what it spent and holds reserved in the current UTC month
 * (SPEC §2 Auth).
 */
@Schema(
    name = "Tenant",
    description = "A tenant, with what it spent and holds reserved this UTC month.")
public record TenantResponse(
    @Schema(format = "uuid") UUID id,
    String name,
    Limits limits,
    Policies policies,
    @Schema(nullable = true) String alertWebhookUrl,
    @Schema(description = "Signs the tenant's webhooks: whsec_<base64 of 32 bytes>.")
        String webhookSecret,
    @Schema(description = "Settled cost this month, USD.") BigDecimal spentUsd,
    @Schema(description = "Held for calls still running, USD.") BigDecimal reservedUsd,
    Instant createdAt,
    Instant updatedAt) {

  /**
   * A tenant's limits; {@code null} means unlimited. {@code shareWeight} is never {@code null}: 1
   * unless the admin set another.
   */
  @Schema(
      name = "TenantLimits",
      description = "A tenant's limits; null means no limit. share_weight is always given.")
  public record Limits(
      @Schema(nullable = true) Integer requestsPerMinute,
      @Schema(nullable = true) Integer tokensPerMinute,
      @Schema(nullable = true) Integer maxConcurrentJobs,
      @Schema(nullable = true) BigDecimal monthlyBudgetUsd,
      @Schema(
              description =
                  "The tenant's weight in fair share: under contention for a provider limit,"
                      + " tenants get capacity in proportion to it. 1 unless set.",
              minimum = "0.01",
              maximum = "1000",
              example = "1")
          BigDecimal shareWeight) {}

  /** A tenant's guardrail and fallback policies (SPEC §2 Auth), each always given. */
  @Schema(name = "TenantPolicies", description = "A tenant's guardrail and fallback policies.")
  public record Policies(
      @Schema(
              enumeration = {"off", "flag", "block"},
              description = "Moderation of the input before the call.")
          String moderation,
      @Schema(
              enumeration = {"off", "flag", "block"},
              description = "Prompt-injection screening of the input before the call.")
          String injection,
      @Schema(
              enumeration = {"on", "off"},
              description = "Whether jobs may be served by their model's fallback chain.")
          String fallbacks,
      @Schema(
              nullable = true,
              description =
                  "The model asked to classify input the injection heuristics let through: a"
                      + " configured model that costs nothing; null for none.")
          String injectionModel) {}

  static TenantResponse of(Tenant tenant, BudgetUse use) {
    return new TenantResponse(
        tenant.id,
        tenant.name,
        new Limits(
            tenant.requestsPerMinute,
            tenant.tokensPerMinute,
            tenant.maxConcurrentJobs,
            amount(tenant.monthlyBudgetUsd),
            amount(BigDecimal.valueOf(tenant.shareWeight))),
        new Policies(tenant.moderation, tenant.injection, tenant.fallbacks, tenant.injectionModel),
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
