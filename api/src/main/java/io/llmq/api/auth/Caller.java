package io.llmq.api.auth;

import java.math.BigDecimal;
import java.util.Set;
import java.util.UUID;

/**
 * The tenant behind a request's API key, what the key may do, and the limits that apply to it, as
 * they stand in the database at this request (so an admin's change applies to the next request on
 * every replica).
 *
 * @param tenantRequestsPerMinute the tenant's submit rate limit, {@code null} for none
 * @param keyRequestsPerMinute the key's own submit rate limit, {@code null} for none
 * @param tenantBudgetUsd the tenant's monthly budget, {@code null} for none
 * @param keyBudgetUsd the key's own monthly budget, {@code null} for none
 * @param tenantTokensPerMinute the tenant's own token limit for its calls, {@code null} for none
 */
public record Caller(
    UUID tenantId,
    UUID keyId,
    Set<Scope> scopes,
    Integer tenantRequestsPerMinute,
    Integer keyRequestsPerMinute,
    BigDecimal tenantBudgetUsd,
    BigDecimal keyBudgetUsd,
    Integer tenantTokensPerMinute) {

  /** Whether a submit rate limit applies to this caller. */
  public boolean rateLimited() {
    return tenantRequestsPerMinute != null || keyRequestsPerMinute != null;
  }

  /** Whether a monthly budget applies to this caller's jobs. */
  public boolean budgeted() {
    return tenantBudgetUsd != null || keyBudgetUsd != null;
  }
}
