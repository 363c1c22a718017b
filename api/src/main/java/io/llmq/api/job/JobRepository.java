package io.llmq.api.job;

import io.llmq.api.http.Cursor;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobTransitions;
import io.llmq.common.messaging.OutboxRelay;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Job rows, read and written with plain SQL on the reactive pool: the submit path is the hottest in
 * the api, and its insert, idempotency and outbox steps need exact statements. Every query is
 * scoped to the tenant, so a job id of another tenant simply finds nothing. The inserts that give a
 * job its first status are here (a birth is no transition); the one status change the api makes,
 * the cancel, is {@link JobTransitions}'s.
 */
@ApplicationScoped
class JobRepository {

  private static final String INSERT =
      "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, metadata, webhook_url,"
          + " deadline_at, max_attempts, idempotency_key, idempotency_hash, created_at, key_id,"
          + " priority, guardrails, trace_context) VALUES ($1, $2, "
          + JobStatus.QUEUED.sql()
          + ", $3, $4::text::jsonb, $5, $6::text::jsonb, $7,"
          + " now() + make_interval(secs => $8::int), $9, $10, $11, now(), $12, $13::int,"
          + " $14::text::jsonb, $15)"
          + " ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL"
          + " DO NOTHING RETURNING "
          + JobRow.COLUMNS;

  /**
   * A job answered from the cache at submit: born {@code succeeded}, the one status a job may start
   * in other than {@code queued} (see {@link #insertAnswered}), with its cache hit in the usage
   * ledger (no tokens, no cost, what it saved).
   */
  private static final String INSERT_ANSWERED =
      "WITH job AS (INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, metadata,"
          + " webhook_url, deadline_at, max_attempts, idempotency_key, idempotency_hash, created_at,"
          + " key_id, priority, guardrails, attempts, cached, result, prompt_tokens,"
          + " completion_tokens, total_tokens, cost_usd, cost_saved_usd, started_at, completed_at,"
          + " served_provider, served_model, trace_context) VALUES ($1, $2, "
          + JobStatus.SUCCEEDED.sql()
          + ", $3, $4::text::jsonb, $5, $6::text::jsonb, $7,"
          + " now() + make_interval(secs => $8::int), $9, $10, $11, now(), $12, $13::int,"
          + " $14::text::jsonb, 1, true, $15::text::jsonb, $16, $17, $18, 0, $19::text::numeric,"
          + " now(), now(), $20, CASE WHEN $20::text IS NULL THEN NULL ELSE $3 END, $21)"
          + " ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL"
          + " DO NOTHING RETURNING "
          + JobRow.COLUMNS
          + "), hit AS (INSERT INTO usage_ledger (tenant_id, key_id, job_id, attempt, kind, model,"
          + " cost_saved_usd, settled, outcome, started_at, ended_at, month)"
          + " SELECT tenant_id, $12, id, 1, 'cache_hit', model, $19::text::numeric, true,"
          + " 'cache_hit', created_at, created_at,"
          + " date_trunc('month', created_at AT TIME ZONE 'UTC')::date FROM job)"
          + " SELECT * FROM job";

  private static final String RELEASE_EXPIRED_KEY =
      "UPDATE jobs SET idempotency_key = NULL WHERE tenant_id = $1 AND idempotency_key = $2"
          + " AND created_at < now() - make_interval(secs => $3::int)";
  private static final String BY_KEY =
      "SELECT " + JobRow.COLUMNS + " FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2";
  private static final String BY_ID =
      "SELECT " + JobRow.COLUMNS + " FROM jobs WHERE id = $1 AND tenant_id = $2";
  private static final String TERMINAL_AMONG =
      "SELECT id FROM jobs WHERE id = ANY($1) AND status <> ALL($2)";

  /** The tenant's free concurrent slots go to its oldest parked jobs (V5). */
  private static final String HAND_OVER =
      "SELECT job_id, tenant_id, outbox_id, (SELECT trace_context FROM jobs WHERE id = h.job_id)"
          + " AS trace_context FROM llmq_hand_over($1, $2) h";

  /** How long a job handed a slot holds it before its message arrives and it renews it. */
  private static final double HANDED_SLOT_SECONDS = 60;

  private final Pool pool;
  private final String insertWithMessage;
  private final GroupCommit group;

  JobRepository(Pool pool, OutboxRelay outbox) {
    this.pool = pool;
    this.insertWithMessage = outbox.addingTo(INSERT);
    // Without a key nothing can conflict: the single-row insert always inserts.
    this.group = new GroupCommit(pool, outbox, job -> insert(pool, job).map(Optional::orElseThrow));
  }

  Pool pool() {
    return pool;
  }

  /**
   * A job as its submit stored it: {@code outboxId} is its message's outbox row, null for a job
   * answered from the cache (nothing is left to run).
   */
  record Inserted(JobRow job, Long outboxId) {}

  /**
   * Inserts the job queued, with its message in the outbox, in one statement; empty when the
   * tenant's idempotency key is already taken.
   */
  Uni<Optional<Inserted>> insert(SqlClient client, NewJob job) {
    return client
        .preparedQuery(insertWithMessage)
        .execute(values(job).addString(job.traceContext()))
        .map(rows ->
            first(rows)
                .map(stored -> new Inserted(stored, rows.iterator().next().getLong("outbox_id"))));
  }

  /**
   * Inserts a job without an idempotency key, queued with its outbox row, together with the other
   * submits of the moment ({@link GroupCommit}); completes once its row is committed.
   */
  Uni<Inserted> insertGrouped(NewJob job) {
    return group.insert(job);
  }

  GroupCommit groupCommit() {
    return group;
  }

  private static Tuple values(NewJob job) {
    return Tuple.tuple()
        .addUUID(job.id())
        .addUUID(job.tenantId())
        .addString(job.model())
        .addString(job.requestJson())
        .addString(job.cacheMode())
        .addString(job.metadataJson())
        .addString(job.webhookUrl())
        .addInteger(job.deadlineSeconds())
        .addInteger(job.maxAttempts())
        .addString(job.idempotencyKey())
        .addString(job.bodyHash())
        .addUUID(job.keyId())
        .addInteger(job.priority().rank())
        .addString(job.guardrailsJson());
  }

  /**
   * Inserts a job answered from the cache, already {@code succeeded}; empty when the tenant's
   * idempotency key is already taken. It records what the worker's cached path records: {@code
   * cached}, one attempt, the usage of the call that produced the answer, {@code cost_usd} 0 and
   * {@code cost_saved_usd}; it starts and completes at its creation. No outbox row goes with it:
   * nothing is left to run. The webhook delivery is written by the database trigger on a terminal
   * insert (V4), as for any job that ends.
   */
  Uni<Optional<Inserted>> insertAnswered(
      SqlClient client, NewJob job, CachedAnswer answer, BigDecimal saved) {
    Tuple values =
        values(job)
            .addString(answer.result().toString())
            .addInteger(answer.promptTokens())
            .addInteger(answer.completionTokens())
            .addInteger(answer.totalTokens())
            .addString(saved.toPlainString())
            .addString(answer.servedBy())
            .addString(job.traceContext());
    return client
        .preparedQuery(INSERT_ANSWERED)
        .execute(values)
        .map(rows -> first(rows).map(stored -> new Inserted(stored, null)));
  }

  /**
   * Hands the tenant's free {@code max_concurrent_jobs} slots to its parked jobs, after a cancel
   * freed one; answers each job handed a slot with its new message's outbox row.
   */
  Uni<List<Handed>> handOverSlots(UUID tenantId) {
    return pool.preparedQuery(HAND_OVER)
        .execute(Tuple.of(tenantId, HANDED_SLOT_SECONDS))
        .map(rows -> {
          List<Handed> handed = new ArrayList<>();
          rows.forEach(row ->
              handed.add(
                  new Handed(
                      row.getLong("outbox_id"),
                      row.getUUID("job_id"),
                      row.getString("trace_context"))));
          return handed;
        });
  }

  /** A parked job handed a slot: its new message's outbox row, and its stored trace context. */
  record Handed(long outboxId, UUID jobId, String traceContext) {}

  /** Frees an idempotency key whose window has passed, so it can name a new job. */
  Uni<Void> releaseExpiredKey(SqlClient tx, UUID tenantId, String key, Duration window) {
    return tx.preparedQuery(RELEASE_EXPIRED_KEY)
        .execute(Tuple.of(tenantId, key, (int) window.toSeconds()))
        .replaceWithVoid();
  }

  Uni<Optional<JobRow>> findByKey(SqlClient client, UUID tenantId, String key) {
    return client.preparedQuery(BY_KEY).execute(Tuple.of(tenantId, key)).map(JobRepository::first);
  }

  Uni<Optional<JobRow>> find(UUID tenantId, UUID id) {
    return pool.preparedQuery(BY_ID).execute(Tuple.of(id, tenantId)).map(JobRepository::first);
  }

  /** Of the given jobs, those that have reached a terminal status. */
  Uni<List<UUID>> terminalAmong(List<UUID> ids) {
    String[] live = {JobStatus.QUEUED.wire(), JobStatus.RUNNING.wire()};
    return pool.preparedQuery(TERMINAL_AMONG)
        .execute(Tuple.of(ids.toArray(UUID[]::new), live))
        .map(rows -> {
          List<UUID> done = new ArrayList<>();
          rows.forEach(row -> done.add(row.getUUID("id")));
          return done;
        });
  }

  /**
   * Cancels a queued or running job if it still has the version it was read with ({@link
   * JobTransitions#cancel}); empty when a concurrent change got there first.
   */
  Uni<Optional<JobRow>> cancel(JobRow job) {
    return JobTransitions.cancel(pool, job.id(), job.version());
  }

  /** One page of the tenant's jobs, newest first, strictly after the cursor's position. */
  Uni<List<JobRow>> page(UUID tenantId, JobStatus status, Cursor after, int limit) {
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(JobRow.COLUMNS)
            .append(" FROM jobs WHERE tenant_id = $1");
    Tuple values = Tuple.of(tenantId);
    if (status != null) {
      values.addString(status.wire());
      sql.append(" AND status = $").append(values.size());
    }
    if (after != null) {
      values.addOffsetDateTime(after.createdAt()).addUUID(after.id());
      sql.append(" AND (created_at, id) < ($")
          .append(values.size() - 1)
          .append(", $")
          .append(values.size())
          .append(")");
    }
    values.addInteger(limit);
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT $").append(values.size()).append("::int");
    return pool.preparedQuery(sql.toString())
        .execute(values)
        .map(rows -> {
          List<JobRow> jobs = new ArrayList<>(rows.size());
          rows.forEach(row -> jobs.add(JobRow.from(row)));
          return jobs;
        });
  }

  private static Optional<JobRow> first(RowSet<io.vertx.mutiny.sqlclient.Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(JobRow.from(rows.iterator().next()));
  }
}
