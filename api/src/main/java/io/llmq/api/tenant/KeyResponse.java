package io.llmq.api.tenant;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An API key as the admin sees it after its creation: never the key itself, only its prefix. */
@Schema(name = "ApiKey", description = "An API key, without the key itself.")
public record KeyResponse(
    @Schema(format = "uuid") UUID id,
    @Schema(format = "uuid") UUID tenantId,
    String name,
    @Schema(description = "The key's first characters, to recognise it.") String prefix,
    @Schema(ref = "Scopes") List<String> scopes,
    Limits limits,
    Instant createdAt,
    @Schema(nullable = true) Instant revokedAt) {

  /** A key's own limits, on top of its tenant's; {@code null} means none of its own. */
  @Schema(
      name = "KeyLimits",
      description = "A key's own limits on top of its tenant's; null: none.")
  public record Limits(
      @Schema(nullable = true) Integer requestsPerMinute,
      @Schema(nullable = true) BigDecimal monthlyBudgetUsd) {

    static Limits of(ApiKey key) {
      return new Limits(key.requestsPerMinute, TenantResponse.amount(key.monthlyBudgetUsd));
    }
  }

  static KeyResponse of(ApiKey key) {
    return new KeyResponse(
        key.id,
        key.tenantId,
        key.name,
        key.prefix,
        scopes(key),
        Limits.of(key),
        key.createdAt,
        key.revokedAt);
  }

  static List<String> scopes(ApiKey key) {
    return List.of(key.scopes.split(" "));
  }
}
