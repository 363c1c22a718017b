package io.llmq.api.usage;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads usage reports from the ledger, one statement per report: the groups are summed in
 * PostgreSQL over the tenant's rows in the range (a range of index {@code usage_ledger_tenant}),
 * and the same statement says whether the tenant exists, for the admin's 404.
 *
 * <p>A day is grouped by {@link #DAY}, the UTC date of {@code started_at}; statistics on that
 * expression ({@code CREATE STATISTICS … ON ((started_at AT TIME ZONE 'UTC')::date)}) let
 * PostgreSQL hash the rows into their few days instead of sorting them all. Joining a series of
 * days to the ledger instead would hash without them, but its plan turns on the tenant's row
 * estimate, and a wrong one rescans the tenant's rows once per day.
 */
@ApplicationScoped
class UsageRepository {

  /** The UTC day of an attempt's start, whatever the session's time zone. */
  private static final String DAY = "(l.started_at AT TIME ZONE 'UTC')::date";

  private static final String SUMS =
      "count(*) FILTER (WHERE l.kind = 'call') AS requests,"
          + " sum(l.prompt_tokens) AS prompt_tokens,"
          + " sum(l.cached_tokens) AS cached_tokens,"
          + " sum(l.completion_tokens) AS completion_tokens,"
          + " sum(l.cost_usd) AS cost_usd,"
          + " count(*) FILTER (WHERE l.kind = 'cache_hit') AS cache_hits,"
          + " sum(l.cost_saved_usd) AS cost_saved_usd";

  private static final String BY_DAY = report("to_char(" + DAY + ", 'YYYY-MM-DD')", DAY);
  private static final String BY_MODEL = report("l.model", "l.model");

  private final Pool pool;

  UsageRepository(Pool pool) {
    this.pool = pool;
  }

  /** The tenant's report; empty when there is no such tenant. */
  Uni<Optional<UsageReport>> report(UUID tenantId, UsageQuery query) {
    return pool.preparedQuery(query.groupBy() == GroupBy.DAY ? BY_DAY : BY_MODEL)
        .execute(
            Tuple.of(
                tenantId,
                query.from().atOffset(ZoneOffset.UTC),
                query.to().atOffset(ZoneOffset.UTC)))
        .map(rows -> read(rows, query));
  }

  /**
   * The groups of the tenant's rows in {@code [$2, $3)} beside whether the tenant exists: always
   * one row or more, the groups (if any) in the code-point order of their keys (days ascending,
   * model names as spelled, whatever the database's collation).
   */
  private static String report(String key, String group) {
    return "SELECT t.known, u.* FROM (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1) AS known)"
        + " AS t LEFT JOIN (SELECT "
        + key
        + " AS key, "
        + SUMS
        + " FROM usage_ledger l WHERE l.tenant_id = $1"
        + " AND l.started_at >= $2::timestamptz AND l.started_at < $3::timestamptz"
        + " GROUP BY "
        + group
        + ") AS u ON t.known ORDER BY u.key COLLATE \"C\"";
  }

  private static Optional<UsageReport> read(RowSet<Row> rows, UsageQuery query) {
    List<UsageReport.Entry> data = new ArrayList<>();
    boolean known = false;
    for (Row row : rows) {
      known = row.getBoolean("known");
      if (row.getString("key") != null) {
        data.add(new UsageReport.Entry(row.getString("key"), sums(row)));
      }
    }
    return known ? Optional.of(UsageReport.of(query, data)) : Optional.empty();
  }

  private static UsageReport.Sums sums(Row row) {
    return new UsageReport.Sums(
        row.getLong("requests"),
        row.getLong("prompt_tokens"),
        row.getLong("cached_tokens"),
        row.getLong("completion_tokens"),
        row.getBigDecimal("cost_usd"),
        row.getLong("cache_hits"),
        row.getBigDecimal("cost_saved_usd"));
  }
}
