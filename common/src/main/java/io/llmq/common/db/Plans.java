package io.llmq.common.db;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.Pool;
import jakarta.inject.Singleton;
import java.util.function.Predicate;

/**
 * How the statements that take many jobs at once (an array of ids) keep a good plan as the tables
 * grow.
 *
 * <p>PostgreSQL caches a prepared statement's generic plan after five executions and keeps it for
 * the connection's life, until the table's statistics change. A table that was empty or small then
 * (a new database, or in the first minute before autovacuum's first analyze) gets a plan that scans
 * it whole, and that plan stays while the table grows: measured at 200 jobs/s on a new database,
 * the batched succeed went from 0.4 to 4.2 ms a statement within 40 s and PostgreSQL used 3.6 ms of
 * CPU per job instead of 1.4 (docs/benchmarks.md). So:
 *
 * <ul>
 *   <li>a read of many rows by id is written {@link #perId per id}: a {@code LATERAL} subquery that
 *       a planner can only run as one index lookup per id, whatever it thinks of the table's size;
 *   <li>an {@code UPDATE … FROM unnest(…)} is {@link #eachTime planned at each execution}: it is
 *       left out of the client's prepared-statement cache, so PostgreSQL plans it for the array it
 *       is given and the table as it is (about 0.1 ms, once per batch, not per job).
 * </ul>
 */
public final class Plans {

  /** Marks a statement that is parsed and planned at each execution. */
  private static final String EACH_TIME = "/* planned each time */ ";

  private Plans() {}

  /** {@code sql}, planned afresh at each execution (see the class comment). */
  public static String eachTime(String sql) {
    return EACH_TIME + sql;
  }

  /**
   * The rows {@code select} reads for each id of the {@code uuid[]} parameter $1, in no particular
   * order: {@code select} reads one row by {@code v.id} (for example {@code SELECT … FROM jobs
   * WHERE id = v.id}) and names its columns; it is run once per id, as an index lookup.
   */
  public static String perId(String select) {
    return "SELECT x.* FROM unnest($1::uuid[]) AS v(id) CROSS JOIN LATERAL ("
        + select
        + " OFFSET 0) x";
  }

  /**
   * Makes the reactive PostgreSQL pool as Quarkus would, except that statements marked {@link
   * #eachTime} stay out of its prepared-statement cache.
   */
  @Singleton
  static final class Creator implements PgPoolCreator {

    @Override
    public Pool create(Input input) {
      for (PgConnectOptions options : input.pgConnectOptionsList()) {
        Predicate<String> cached = options.getPreparedStatementCacheSqlFilter();
        options.setPreparedStatementCacheSqlFilter(
            sql -> !sql.startsWith(EACH_TIME) && cached.test(sql));
      }
      return PgDriver.INSTANCE.createPool(
          input.vertx(), input.pgConnectOptionsList(), input.poolOptions());
    }
  }
}
