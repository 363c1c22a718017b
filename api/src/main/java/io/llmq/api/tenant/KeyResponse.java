package io.llmq.api.tenant;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** An API key as the admin sees it after its creation: never the key itself, only its prefix. */
public record KeyResponse(
    UUID id,
    UUID tenantId,
    String name,
    String prefix,
    List<String> scopes,
    Limits limits,
    Instant createdAt,
    Instant revokedAt) {

  /** A key's own limits, on top of its tenant's; {@code null} means none of its own. */
  public record Limits(Integer requestsPerMinute, BigDecimal monthlyBudgetUsd) {

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
