package io.llmq.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.TestServices;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batched statements' plans on a new, empty {@code jobs} table, where PostgreSQL's cached
 * generic plan is the one that would stay as the table grows.
 */
class PlansTest {

  private static Vertx vertx;
  private static Pool pool;

  @BeforeAll
  static void database() {
    TestServices services = TestServices.get();
    String url = services.freshDatabase(TestServices.testDatabase() + "_plans");
    Flyway.configure()
        .dataSource("jdbc:" + url, services.pgUser(), services.pgPassword())
        .load()
        .migrate();
    vertx = Vertx.vertx();
    PgConnectOptions options =
        PgConnectOptions.fromUri(url)
            .setUser(services.pgUser())
            .setPassword(services.pgPassword())
            .setCachePreparedStatements(true);
    PgPoolCreator.Input input =
        new PgPoolCreator.Input() {
          @Override
          public io.vertx.core.Vertx vertx() {
            return vertx.getDelegate();
          }

          @Override
          public PoolOptions poolOptions() {
            return new PoolOptions().setMaxSize(1);
          }

          @Override
          public List<PgConnectOptions> pgConnectOptionsList() {
            return List.of(options);
          }
        };
    pool = Pool.newInstance(new Plans.Creator().create(input));
  }

  @AfterAll
  static void close() {
    if (pool != null) {
      pool.closeAndAwait();
    }
    if (vertx != null) {
      vertx.closeAndAwait();
    }
  }

  /** The generic plan PostgreSQL would cache for {@code sql}, which takes one uuid[]. */
  private static String genericPlan(SqlConnection connection, String sql) {
    connection.query("SET plan_cache_mode = force_generic_plan").executeAndAwait();
    connection.query("PREPARE probe(uuid[]) AS " + sql).executeAndAwait();
    try {
      StringBuilder plan = new StringBuilder();
      for (Row row : connection.query("EXPLAIN EXECUTE probe('{}')").executeAndAwait()) {
        plan.append(row.getString(0)).append('\n');
      }
      return plan.toString();
    } finally {
      connection.query("DEALLOCATE probe").executeAndAwait();
      connection.query("RESET plan_cache_mode").executeAndAwait();
    }
  }

  @Test
  void aReadPerIdIsAnIndexLookupEvenOnAnEmptyTable() {
    String perId = Plans.perId("SELECT id, status FROM jobs WHERE id = v.id");
    SqlConnection connection = pool.getConnectionAndAwait();
    try {
      String naive = genericPlan(connection, "SELECT id FROM jobs WHERE id = ANY($1)");
      String plan = genericPlan(connection, perId);
      assertTrue(naive.contains("Seq Scan on jobs"), "the plan this avoids:\n" + naive);
      assertFalse(plan.contains("Seq Scan"), plan);
      assertTrue(plan.contains("Index"), plan);
    } finally {
      connection.closeAndAwait();
    }
  }

  @Test
  void aReadPerIdAnswersTheRowsOfTheIdsGiven() {
    UUID tenant = UUID.randomUUID();
    pool.preparedQuery(
            "INSERT INTO tenants (id, name, webhook_secret, created_at, updated_at)"
                + " VALUES ($1, 'plans', 'whsec_test', now(), now())")
        .executeAndAwait(Tuple.of(tenant));
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      UUID id = UUID.randomUUID();
      ids.add(id);
      pool.preparedQuery(
              "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, max_attempts,"
                  + " attempts, version, created_at)"
                  + " VALUES ($1, $2, 'queued', 'llmq-sim', '{}', 'default', 3, 0, 0, now())")
          .executeAndAwait(Tuple.of(id, tenant));
    }
    UUID[] asked = {ids.get(2), UUID.randomUUID(), ids.get(0)};
    List<UUID> found = new ArrayList<>();
    for (Row row :
        pool.preparedQuery(Plans.perId("SELECT id FROM jobs WHERE id = v.id"))
            .executeAndAwait(Tuple.of(asked))) {
      found.add(row.getUUID("id"));
    }
    assertEquals(2, found.size(), "" + found);
    assertTrue(found.containsAll(List.of(ids.get(0), ids.get(2))), "" + found);
  }

  @Test
  void aStatementPlannedEachTimeIsNeverCachedOnTheConnection() {
    String marked = Plans.eachTime("SELECT count(*) FROM unnest($1::uuid[])");
    String plain = "SELECT count(*) + 0 FROM unnest($1::uuid[])";
    Tuple ids = Tuple.of((Object) new UUID[] {UUID.randomUUID()});
    for (int i = 0; i < 6; i++) {
      assertEquals(
          1L, pool.preparedQuery(marked).executeAndAwait(ids).iterator().next().getLong(0));
      pool.preparedQuery(plain).executeAndAwait(ids);
    }
    // One connection in the pool: the statements it prepared are all in its session's view.
    List<String> prepared = new ArrayList<>();
    for (Row row : pool.query("SELECT statement FROM pg_prepared_statements").executeAndAwait()) {
      prepared.add(row.getString(0));
    }
    assertTrue(prepared.contains(plain), "" + prepared);
    assertFalse(prepared.contains(marked), "" + prepared);
  }
}
