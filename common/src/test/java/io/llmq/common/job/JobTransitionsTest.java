package io.llmq.common.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.TestServices;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Walks every edge of the job's life against PostgreSQL, with the schema the apps migrate: each
 * status-changing statement of {@link JobTransitions} is run on a job in every status (a running
 * one with a live lease and with a lapsed one). Where {@link JobStatus}'s table allows the edge,
 * the statement changes the job, once, to its target and one version on; a stale version changes
 * nothing. Where it does not, nothing changes: not the row, not the ledger, not the outbox.
 */
class JobTransitionsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration LEASE = Duration.ofMinutes(5);
  private static final int VERSION = 5;
  private static final String REPAIR = "[{\"answer\":\"nope\",\"errors\":[\"not JSON\"]}]";

  private static Vertx vertx;
  private static Pool pool;
  private static UUID tenant;

  /** A statement under test, run on a job read at {@code version}: whether it changed the job. */
  private interface Statement {
    Uni<Boolean> run(UUID job, int version);
  }

  private record Edge(String name, JobStatus target, Statement statement) {}

  /** A status a job can be found in: running comes with a live lease and with a lapsed one. */
  private record Source(JobStatus status, boolean leaseLapsed) {
    @Override
    public String toString() {
      return status == JobStatus.RUNNING
          ? status + (leaseLapsed ? "(lapsed)" : "(live)")
          : "" + status;
    }
  }

  @BeforeAll
  static void database() {
    TestServices services = TestServices.get();
    String url = services.freshDatabase(TestServices.testDatabase() + "_transitions");
    Flyway.configure()
        .dataSource("jdbc:" + url, services.pgUser(), services.pgPassword())
        .load()
        .migrate();
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(2))
            .connectingTo(
                PgConnectOptions.fromUri(url)
                    .setUser(services.pgUser())
                    .setPassword(services.pgPassword()))
            .using(vertx)
            .build();
    tenant = UUID.randomUUID();
    sql(
        "INSERT INTO tenants (id, name, webhook_secret, created_at, updated_at)"
            + " VALUES ($1, 'transitions', 'whsec_test', now(), now())",
        Tuple.of(tenant));
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

  private static List<Edge> edges() {
    Instant now = Instant.now();
    LocalDate month = now.atOffset(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
    JobTransitions.Answer answer =
        new JobTransitions.Answer("{\"choices\":[]}", 3, 4, 7, "simulated");
    return List.of(
        new Edge(
            "claim",
            JobStatus.RUNNING,
            (job, version) ->
                JobTransitions.claim(pool, job, version, "walker", LEASE)
                    .map(claim -> claim.flatMap(JobTransitions.ClaimAnswer::claim).isPresent())),
        new Edge(
            "claimCall",
            JobStatus.RUNNING,
            (job, version) ->
                JobTransitions.claimCall(
                        pool,
                        job,
                        version,
                        "walker",
                        LEASE,
                        "simulated",
                        "llmq-sim",
                        BigDecimal.ZERO,
                        now,
                        month)
                    .map(claim -> claim.flatMap(JobTransitions.ClaimAnswer::claim).isPresent())),
        new Edge(
            "succeed",
            JobStatus.SUCCEEDED,
            (job, version) -> JobTransitions.succeed(pool, job, version, answer)),
        new Edge(
            "succeedFromCache",
            JobStatus.SUCCEEDED,
            (job, version) ->
                JobTransitions.succeedFromCache(
                    pool, job, version, answer, new BigDecimal("0.01"), now, month)),
        new Edge(
            "fail",
            JobStatus.FAILED,
            (job, version) ->
                JobTransitions.fail(pool, job, version, FailureCode.INTERNAL, "walked")),
        new Edge(
            "expire",
            JobStatus.EXPIRED,
            (job, version) -> JobTransitions.expire(pool, job, version)),
        new Edge(
            "requeue",
            JobStatus.QUEUED,
            (job, version) -> JobTransitions.requeue(pool, job, version, Duration.ofSeconds(30))),
        new Edge(
            "handBack",
            JobStatus.QUEUED,
            (job, version) -> JobTransitions.handBack(pool, job, version)),
        new Edge(
            "requeueForRepair",
            JobStatus.QUEUED,
            (job, version) ->
                JobTransitions.requeueForRepair(
                        pool, job, version, REPAIR, "{\"repairs\":0,\"moderation\":null}", 1)
                    .map(JobTransitions.RepairRequeue::requeued)),
        new Edge(
            "cancel",
            JobStatus.CANCELLED,
            (job, version) -> JobTransitions.cancel(pool, job, version).map(Optional::isPresent)));
  }

  private static List<Source> sources() {
    List<Source> sources = new ArrayList<>();
    for (JobStatus status : JobStatus.values()) {
      sources.add(new Source(status, false));
      if (status == JobStatus.RUNNING) {
        sources.add(new Source(status, true));
      }
    }
    return sources;
  }

  @Test
  void everyStatementMakesExactlyTheEdgesTheTableAllows() {
    int legal = 0;
    int illegal = 0;
    for (Edge edge : edges()) {
      for (Source source : sources()) {
        String what = edge.name() + " from " + source;
        UUID job = job(source, "now() - interval '1 minute'");
        String before = state(job);
        if (JobTransitions.allows(source.status(), edge.target(), source.leaseLapsed())) {
          legal++;
          assertFalse(run(edge, job, VERSION - 1), what + " at a stale version");
          assertEquals(before, state(job), what + " at a stale version changed the job");
          assertTrue(run(edge, job, VERSION), what + " is legal, and did nothing");
          Map<String, Object> after = row(job);
          assertEquals(edge.target().wire(), after.get("status"), what);
          assertEquals(VERSION + 1, after.get("version"), what);
          assertFalse(run(edge, job, VERSION), what + " applied twice");
        } else {
          illegal++;
          assertFalse(run(edge, job, VERSION), what + " is illegal, and answered changed");
          assertEquals(before, state(job), what + " is illegal, and changed the job");
        }
      }
    }
    // 10 statements x 7 sources, walked in full. Legal: claim and claimCall from queued and a
    // lapsed lease (4), succeed and succeedFromCache from running (4), fail from queued and running
    // (3), expire from queued (1), requeue, handBack and requeueForRepair from running (6), cancel
    // from queued and running (3).
    assertEquals(21, legal);
    assertEquals(49, illegal);
  }

  @Test
  void theWritesThatGoWithAnEdgeAreMadeWithIt() {
    List<Edge> edges = edges();
    UUID queued = job(new Source(JobStatus.QUEUED, false), "NULL");
    assertTrue(run(named(edges, "claimCall"), queued, VERSION));
    assertEquals(1L, count("usage_ledger", queued), "the attempt's ledger row");
    assertTrue(run(named(edges, "requeue"), queued, VERSION + 1));
    assertEquals(1L, count("job_outbox", queued), "the retry's message");

    UUID cut = job(new Source(JobStatus.RUNNING, false), "now() + interval '1 minute'");
    assertTrue(run(named(edges, "handBack"), cut, VERSION));
    assertEquals(1, row(cut).get("handed_back"), "the attempt handed back");
    assertEquals(1L, count("job_outbox", cut), "the hand-back's message");

    UUID running = job(new Source(JobStatus.RUNNING, false), "now() + interval '1 minute'");
    assertTrue(run(named(edges, "succeedFromCache"), running, VERSION));
    Map<String, Object> row = row(running);
    assertEquals(true, row.get("cached"));
    assertEquals("simulated", row.get("served_provider"));
    assertEquals("llmq-sim", row.get("served_model"));
    assertEquals(1L, count("usage_ledger", running), "the cache hit's ledger row");
  }

  @Test
  void aRepairKeepsItsAnswerCountsItAndStopsAtTheLimit() {
    UUID job = job(new Source(JobStatus.RUNNING, false), "now() + interval '1 minute'");
    sql(
        "UPDATE jobs SET guardrails = '{\"repairs\":0,\"moderation\":{\"flagged\":true}}'"
            + " WHERE id = $1",
        Tuple.of(job));
    JobTransitions.RepairRequeue first =
        await(JobTransitions.requeueForRepair(pool, job, VERSION, REPAIR, "{}", 1));
    assertEquals(new JobTransitions.RepairRequeue(true, 0), first);
    Map<String, Object> row = row(job);
    assertEquals("queued", row.get("status"));
    assertEquals(1, row.get("repairs"));
    assertEquals(1L, count("job_outbox", job), "the repair's message");
    assertEquals(
        "[{\"answer\": \"nope\", \"errors\": [\"not JSON\"]}]",
        scalarText("SELECT repair::text FROM jobs WHERE id = $1", job));
    assertEquals(
        "{\"repairs\": 1, \"moderation\": {\"flagged\": true}}",
        scalarText("SELECT guardrails::text FROM jobs WHERE id = $1", job),
        "the count goes into the guardrails record, which keeps the rest");

    assertTrue(claimed(JobTransitions.claim(pool, job, VERSION + 1, "again", LEASE)));
    JobTransitions.RepairRequeue second =
        await(JobTransitions.requeueForRepair(pool, job, VERSION + 2, REPAIR, "{}", 1));
    assertEquals(new JobTransitions.RepairRequeue(false, 1), second, "the limit was reached");
    assertEquals("running", row(job).get("status"));
    assertEquals(
        new JobTransitions.RepairRequeue(false, null),
        await(JobTransitions.requeueForRepair(pool, job, VERSION, REPAIR, "{}", 5)),
        "a stale version");
  }

  private static String scalarText(String query, UUID id) {
    return await(pool.preparedQuery(query).execute(Tuple.of(id))).iterator().next().getString(0);
  }

  @Test
  void ofTwoWritersOfOneVersionOnlyTheFirstChangesTheJob() {
    UUID job = job(new Source(JobStatus.RUNNING, false), "now() + interval '1 minute'");
    assertTrue(await(JobTransitions.cancel(pool, job, VERSION)).isPresent());
    assertFalse(
        await(
            JobTransitions.succeed(
                pool, job, VERSION, new JobTransitions.Answer("{}", 1, 1, 2, "simulated"))));
    assertEquals("cancelled", row(job).get("status"));

    UUID queued = job(new Source(JobStatus.QUEUED, false), "NULL");
    assertTrue(claimed(JobTransitions.claim(pool, queued, VERSION, "first", LEASE)));
    assertTrue(await(JobTransitions.claim(pool, queued, VERSION, "second", LEASE)).isEmpty());
    assertEquals("first", row(queued).get("lease_owner"));
  }

  @Test
  void noClaimStartsAJobWhoseDeadlinePassedBeforeItStarted() {
    for (Edge edge : claims()) {
      UUID late = job(JobStatus.QUEUED, "now() - interval '1 second'", "NULL", "NULL");
      String before = state(late);
      Optional<JobTransitions.ClaimAnswer> answer = await(claimOf(edge, late, VERSION));
      assertTrue(answer.isPresent(), edge.name() + " answered as if the job had changed");
      assertTrue(answer.get().pastDeadline(), edge.name() + " refused for " + answer.get());
      assertTrue(answer.get().claim().isEmpty(), edge.name());
      assertEquals(before, state(late), edge.name() + " refused, and changed the job");
      assertTrue(
          await(claimOf(edge, late, VERSION - 1)).isEmpty(),
          edge.name() + " at a stale version answers nothing");
      // The worker then ends it, at the version it read.
      assertTrue(await(JobTransitions.expire(pool, late, VERSION)), edge.name());
      assertEquals("expired", row(late).get("status"));
    }
  }

  @Test
  void theDeadlineBindsOnlyAJobThatNeverStarted() {
    String past = "now() - interval '1 second'";
    for (Edge edge : claims()) {
      UUID inTime = job(JobStatus.QUEUED, "now() + interval '1 minute'", "NULL", "NULL");
      UUID noDeadline = job(JobStatus.QUEUED, "NULL", "NULL", "NULL");
      UUID retried = job(JobStatus.QUEUED, past, "now() - interval '1 minute'", "NULL");
      UUID takenOver =
          job(
              JobStatus.RUNNING,
              past,
              "now() - interval '1 minute'",
              "now() - interval '1 minute'");
      for (UUID job : List.of(inTime, noDeadline, retried, takenOver)) {
        assertTrue(claimed(claimOf(edge, job, VERSION)), edge.name() + " refused " + row(job));
        assertEquals("running", row(job).get("status"));
      }
    }
  }

  @Test
  void aLateJobIsRefusedForItsDeadlineWhateverItsBudgetAndReservesNothing() {
    UUID broke = UUID.randomUUID();
    sql(
        "INSERT INTO tenants (id, name, monthly_budget_usd, webhook_secret, created_at, updated_at)"
            + " VALUES ($1, 'broke', 0, 'whsec_test', now(), now())",
        Tuple.of(broke));
    UUID late = job(broke, JobStatus.QUEUED, "now() - interval '1 second'", "NULL", "NULL", null);
    UUID inTime = job(broke, JobStatus.QUEUED, "NULL", "NULL", "NULL", null);

    assertEquals(JobTransitions.PAST_DEADLINE, refusal(late));
    assertEquals(0L, count("usage_ledger", late), "no attempt");
    assertEquals(
        0L,
        scalar("SELECT count(*) AS n FROM budget_months WHERE scope_id = $1", broke),
        "the refused claim never reached the budgets");
    assertEquals("tenant", refusal(inTime), "a job in time meets its budget");
    assertEquals(
        0L,
        scalar(
            "SELECT count(*) AS n FROM budget_months WHERE scope_id = $1 AND reserved_usd > 0",
            broke),
        "nothing reserved");
  }

  @Test
  void theSweepExpiresOnlyQueuedJobsThatMissedTheirDeadlineBeforeStarting() {
    String past = "now() - interval '1 second'";
    String before = "now() - interval '1 minute'";
    Map<UUID, Boolean> jobs = new LinkedHashMap<>();
    jobs.put(job(JobStatus.QUEUED, past, "NULL", "NULL"), true);
    jobs.put(job(JobStatus.QUEUED, "now() + interval '1 minute'", "NULL", "NULL"), false);
    jobs.put(job(JobStatus.QUEUED, "NULL", "NULL", "NULL"), false);
    jobs.put(job(JobStatus.QUEUED, past, before, "NULL"), false);
    jobs.put(job(JobStatus.RUNNING, past, before, "now() + interval '1 minute'"), false);
    jobs.put(job(JobStatus.RUNNING, past, before, before), false);
    for (JobStatus terminal : JobStatus.terminals()) {
      jobs.put(job(terminal, past, "NULL", "NULL"), false);
    }
    Map<UUID, String> states = new LinkedHashMap<>();
    jobs.keySet().forEach(job -> states.put(job, state(job)));

    List<UUID> expired = sweepAll();

    for (Map.Entry<UUID, Boolean> job : jobs.entrySet()) {
      UUID id = job.getKey();
      assertEquals(job.getValue(), expired.contains(id), "swept " + states.get(id));
      if (job.getValue()) {
        Map<String, Object> row = row(id);
        assertEquals("expired", row.get("status"));
        assertEquals(VERSION + 1, row.get("version"));
        assertTrue(row.get("completed_at") != null);
      } else {
        assertEquals(states.get(id), state(id), "the sweep changed a job");
      }
    }
  }

  @Test
  void twoSweepsAtOnceExpireEachJobOnceWithOneWebhookEach() {
    int count = 2 * JobTransitions.SWEEP_BATCH + 50;
    List<UUID> late = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      late.add(
          job(
              tenant,
              JobStatus.QUEUED,
              "now() - interval '1 second'",
              "NULL",
              "NULL",
              "https://example.com/hook"));
    }

    // Each sweeper runs batch after batch on its own connection until it finds nothing left.
    List<List<UUID>> swept =
        Uni.join().all(sweeper(), sweeper()).andFailFast().await().atMost(WAIT);

    List<UUID> all = new ArrayList<>(swept.get(0));
    all.addAll(swept.get(1));
    assertEquals(all.size(), all.stream().distinct().count(), "a job expired twice");
    assertTrue(all.containsAll(late), "a late job was left queued");
    for (UUID job : late) {
      assertEquals("expired", row(job).get("status"));
      assertEquals(VERSION + 1, row(job).get("version"), "expired once");
      assertEquals(1L, count("webhook_deliveries", job), "one webhook");
    }
  }

  /** Sweeps until a sweep finds nothing; answers every job it expired. */
  private static Uni<List<UUID>> sweeper() {
    List<UUID> expired = new ArrayList<>();
    return Multi.createBy()
        .repeating()
        .uni(() -> JobTransitions.expireOverdue(pool))
        .whilst(batch -> !batch.isEmpty())
        .onItem()
        .invoke(batch -> batch.forEach(job -> expired.add(job.id())))
        .collect()
        .last()
        .map(ignored -> expired);
  }

  private static List<UUID> sweepAll() {
    return await(sweeper());
  }

  /** The two claims: the plain one, and a call attempt's (with a worst case of 0). */
  private static List<Edge> claims() {
    List<Edge> edges = edges();
    return List.of(named(edges, "claim"), named(edges, "claimCall"));
  }

  private static Uni<Optional<JobTransitions.ClaimAnswer>> claimOf(
      Edge edge, UUID job, int version) {
    return switch (edge.name()) {
      case "claim" -> JobTransitions.claim(pool, job, version, "walker", LEASE);
      case "claimCall" -> callClaim(job, version, BigDecimal.ZERO);
      default -> throw new IllegalArgumentException(edge.name());
    };
  }

  private static Uni<Optional<JobTransitions.ClaimAnswer>> callClaim(
      UUID job, int version, BigDecimal worst) {
    Instant now = Instant.now();
    return JobTransitions.claimCall(
        pool,
        job,
        version,
        "walker",
        LEASE,
        "simulated",
        "llmq-sim",
        worst,
        now,
        now.atOffset(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1));
  }

  /** What a call claim with a worst case of 1 USD was refused for. */
  private static String refusal(UUID job) {
    return await(callClaim(job, VERSION, BigDecimal.ONE)).orElseThrow().refusedBy();
  }

  private static boolean claimed(Uni<Optional<JobTransitions.ClaimAnswer>> claim) {
    return await(claim).flatMap(JobTransitions.ClaimAnswer::claim).isPresent();
  }

  @Test
  void theReapTakesBackOnlyRunningJobsWhoseLeaseLapsed() {
    Map<UUID, Source> jobs = new LinkedHashMap<>();
    Map<UUID, String> before = new LinkedHashMap<>();
    for (Source source : sources()) {
      UUID job = job(source, "now() - interval '1 hour'");
      jobs.put(job, source);
      before.put(job, state(job));
    }

    List<UUID> reaped = await(JobTransitions.reap(pool));

    for (Map.Entry<UUID, Source> job : jobs.entrySet()) {
      UUID id = job.getKey();
      Source source = job.getValue();
      boolean lapsed = source.status() == JobStatus.RUNNING && source.leaseLapsed();
      assertEquals(lapsed, reaped.contains(id), "reaped from " + source);
      if (lapsed) {
        Map<String, Object> row = row(id);
        assertEquals("queued", row.get("status"));
        assertEquals(VERSION + 1, row.get("version"));
        assertEquals(1L, count("job_outbox", id), "its message");
      } else {
        assertEquals(before.get(id), state(id), "the reap changed a job " + source);
      }
    }
  }

  private static Edge named(List<Edge> edges, String name) {
    return edges.stream().filter(edge -> edge.name().equals(name)).findFirst().orElseThrow();
  }

  /**
   * A job in {@code source}'s status at {@link #VERSION}; a running one's lease expires at {@code
   * lapsedLease} when it lapsed, in an hour otherwise.
   */
  private static UUID job(Source source, String lapsedLease) {
    UUID id = UUID.randomUUID();
    boolean running = source.status() == JobStatus.RUNNING;
    String lease =
        !running ? "NULL" : source.leaseLapsed() ? lapsedLease : "now() + interval '1 hour'";
    sql(
        "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, max_attempts,"
            + " attempts, version, lease_owner, lease_expires_at, created_at)"
            + " VALUES ($1, $2, $3, 'llmq-sim', '{}'::jsonb, 'default', 3, $4, $5, $6, "
            + lease
            + ", now())",
        Tuple.of(
            id,
            tenant,
            source.status().wire(),
            source.status() == JobStatus.QUEUED ? 0 : 1,
            VERSION,
            running ? "someone" : null));
    return id;
  }

  /**
   * A job of the walk's tenant in {@code status} at {@link #VERSION}, with the given deadline,
   * start and lease expiry (SQL expressions, {@code NULL} for none).
   */
  private static UUID job(JobStatus status, String deadline, String startedAt, String lease) {
    return job(tenant, status, deadline, startedAt, lease, null);
  }

  private static UUID job(
      UUID owner,
      JobStatus status,
      String deadline,
      String startedAt,
      String lease,
      String webhookUrl) {
    UUID id = UUID.randomUUID();
    boolean running = status == JobStatus.RUNNING;
    sql(
        "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, max_attempts,"
            + " attempts, version, lease_owner, webhook_url, deadline_at, started_at,"
            + " lease_expires_at, created_at)"
            + " VALUES ($1, $2, $3, 'llmq-sim', '{}'::jsonb, 'default', 3, $4, $5, $6, $7, "
            + deadline
            + ", "
            + startedAt
            + ", "
            + lease
            + ", now())",
        Tuple.of(
                id,
                owner,
                status.wire(),
                "NULL".equals(startedAt) ? 0 : 1,
                VERSION,
                running ? "someone" : null)
            .addString(webhookUrl));
    return id;
  }

  private static long scalar(String query, UUID id) {
    return await(pool.preparedQuery(query).execute(Tuple.of(id))).iterator().next().getLong("n");
  }

  private static boolean run(Edge edge, UUID job, int version) {
    return await(edge.statement().run(job, version));
  }

  /** Everything of the job a statement could change: its row, its ledger and outbox rows. */
  private static String state(UUID job) {
    return row(job)
        + " ledger="
        + count("usage_ledger", job)
        + " outbox="
        + count("job_outbox", job);
  }

  private static Map<String, Object> row(UUID job) {
    Row row =
        await(pool.preparedQuery("SELECT * FROM jobs WHERE id = $1").execute(Tuple.of(job)))
            .iterator()
            .next();
    Map<String, Object> values = new LinkedHashMap<>();
    for (int i = 0; i < row.size(); i++) {
      values.put(row.getColumnName(i), row.getValue(i));
    }
    return values;
  }

  private static long count(String table, UUID job) {
    return await(
            pool.preparedQuery("SELECT count(*) AS n FROM " + table + " WHERE job_id = $1")
                .execute(Tuple.of(job)))
        .iterator()
        .next()
        .getLong("n");
  }

  private static void sql(String statement, Tuple values) {
    await(pool.preparedQuery(statement).execute(values));
  }

  private static <T> T await(Uni<T> uni) {
    return uni.await().atMost(WAIT);
  }
}
