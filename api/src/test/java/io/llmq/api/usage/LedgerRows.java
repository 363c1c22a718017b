package io.llmq.api.usage;

import io.llmq.common.job.JobStatus;
import io.llmq.common.testing.TestServices;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * Writes jobs and their usage-ledger rows straight to the database, as the worker records them: one
 * row per attempt (kind {@code call}) or per cache hit, and the job's {@code cost_usd} the sum of
 * its rows'.
 */
final class LedgerRows {

  private LedgerRows() {}

  /** One ledger row; build with {@link #call} or {@link #cacheHit}. */
  record Row(
      String kind,
      String model,
      Instant startedAt,
      int promptTokens,
      int cachedTokens,
      int completionTokens,
      BigDecimal costUsd,
      BigDecimal costSavedUsd) {}

  /** An upstream attempt that the provider billed {@code cost}. */
  static Row call(
      String model, String startedAt, int prompt, int cached, int completion, String cost) {
    return new Row(
        "call",
        model,
        Instant.parse(startedAt),
        prompt,
        cached,
        completion,
        new BigDecimal(cost),
        BigDecimal.ZERO);
  }

  /** An answer from the cache: no cost, {@code saved} what the call would have cost. */
  static Row cacheHit(
      String model, String startedAt, int prompt, int cached, int completion, String saved) {
    return new Row(
        "cache_hit",
        model,
        Instant.parse(startedAt),
        prompt,
        cached,
        completion,
        BigDecimal.ZERO,
        new BigDecimal(saved));
  }

  /**
   * A finished job of the tenant with these rows as its attempts, in order; its id. It is inserted
   * born terminal, with its attempts' times, rather than walked through {@code JobTransitions}:
   * usage reports read history, and the statements stamp the present.
   */
  static UUID job(String tenantId, Row... rows) {
    UUID job = UUID.randomUUID();
    BigDecimal cost = BigDecimal.ZERO;
    for (Row row : rows) {
      cost = cost.add(row.costUsd());
    }
    boolean cached = rows.length == 1 && rows[0].kind().equals("cache_hit");
    try (Connection db = connect()) {
      db.setAutoCommit(false);
      try (var insert =
          db.prepareStatement(
              "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, max_attempts,"
                  + " attempts, cached, cost_usd, cost_saved_usd, created_at, started_at,"
                  + " completed_at)"
                  + " VALUES (?, ?, "
                  + JobStatus.SUCCEEDED.sql()
                  + ", ?, '{}'::jsonb, 'default', 10, ?, ?, ?, ?, ?, ?, ?)")) {
        OffsetDateTime started = utc(rows[0].startedAt());
        insert.setObject(1, job);
        insert.setObject(2, UUID.fromString(tenantId));
        insert.setString(3, rows[0].model());
        insert.setInt(4, rows.length);
        insert.setBoolean(5, cached);
        insert.setBigDecimal(6, cost);
        insert.setBigDecimal(7, cached ? rows[0].costSavedUsd() : null);
        insert.setObject(8, started);
        insert.setObject(9, started);
        insert.setObject(10, utc(rows[rows.length - 1].startedAt()));
        insert.executeUpdate();
      }
      for (int attempt = 1; attempt <= rows.length; attempt++) {
        ledger(db, tenantId, job, attempt, rows[attempt - 1]);
      }
      db.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return job;
  }

  private static void ledger(Connection db, String tenantId, UUID job, int attempt, Row row)
      throws SQLException {
    try (var insert =
        db.prepareStatement(
            "INSERT INTO usage_ledger (tenant_id, job_id, attempt, kind, provider, model,"
                + " prompt_tokens, cached_tokens, completion_tokens, cost_usd, cost_saved_usd,"
                + " settled, outcome, started_at, ended_at, month)"
                + " VALUES (?, ?, ?, ?, 'openai', ?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?)")) {
      OffsetDateTime started = utc(row.startedAt());
      insert.setObject(1, UUID.fromString(tenantId));
      insert.setObject(2, job);
      insert.setInt(3, attempt);
      insert.setString(4, row.kind());
      insert.setString(5, row.model());
      insert.setInt(6, row.promptTokens());
      insert.setInt(7, row.cachedTokens());
      insert.setInt(8, row.completionTokens());
      insert.setBigDecimal(9, row.costUsd());
      insert.setBigDecimal(10, row.costSavedUsd());
      insert.setString(11, row.kind().equals("call") ? "succeeded" : "cache_hit");
      insert.setObject(12, started);
      insert.setObject(13, started);
      insert.setObject(14, LocalDate.from(started).withDayOfMonth(1));
      insert.executeUpdate();
    }
  }

  /** The sum of the tenant's jobs' {@code cost_usd}, as stored. */
  static BigDecimal jobsCost(String tenantId) {
    try (Connection db = connect();
        var query =
            db.prepareStatement(
                "SELECT coalesce(sum(cost_usd), 0) FROM jobs WHERE tenant_id = ?")) {
      query.setObject(1, UUID.fromString(tenantId));
      try (var result = query.executeQuery()) {
        result.next();
        return result.getBigDecimal(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  private static Connection connect() throws SQLException {
    TestServices services = TestServices.get();
    return DriverManager.getConnection(
        "jdbc:" + services.dbUrl(TestServices.testDatabase()),
        services.pgUser(),
        services.pgPassword());
  }
}
