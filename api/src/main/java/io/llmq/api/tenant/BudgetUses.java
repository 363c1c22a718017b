package io.llmq.api.tenant;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads tenants' spend and reservations of the current UTC month with {@code llmq_budget_use}, the
 * same figures the worker's budget check uses: the tenant's budget row, or its settled ledger rows
 * when it has no row yet. The month is PostgreSQL's, the clock every budget write uses too.
 */
@ApplicationScoped
class BudgetUses {

  private static final String MONTH = "(date_trunc('month', now() AT TIME ZONE 'UTC'))::date";
  private static final String OF_TENANTS =
      "SELECT t.id, u.spent_usd, u.reserved_usd FROM unnest($1::uuid[]) AS t(id)"
          + " CROSS JOIN LATERAL llmq_budget_use('tenant', t.id, "
          + MONTH
          + ") u";

  private final Pool pool;

  BudgetUses(Pool pool) {
    this.pool = pool;
  }

  Uni<BudgetUse> ofTenant(UUID tenantId) {
    return ofTenants(List.of(tenantId)).map(uses -> uses.getOrDefault(tenantId, BudgetUse.NONE));
  }

  /** Each tenant's use, in one statement for a page of tenants. */
  Uni<Map<UUID, BudgetUse>> ofTenants(Collection<UUID> tenantIds) {
    if (tenantIds.isEmpty()) {
      return Uni.createFrom().item(Map.of());
    }
    return pool.preparedQuery(OF_TENANTS)
        .execute(Tuple.of(tenantIds.toArray(UUID[]::new)))
        .map(rows -> {
          Map<UUID, BudgetUse> uses = new HashMap<>();
          for (Row row : rows) {
            uses.put(row.getUUID("id"), use(row));
          }
          return uses;
        });
  }

  private static BudgetUse use(Row row) {
    return new BudgetUse(row.getBigDecimal("spent_usd"), row.getBigDecimal("reserved_usd"));
  }
}
