package io.llmq.worker.execution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.failure.Outages;
import io.llmq.common.job.FailureCode;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.messaging.JobMessage;
import io.llmq.common.messaging.OutboxRelay;
import io.llmq.worker.budget.BudgetClock;
import io.llmq.worker.provider.Completion;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

/**
 * The worker's reads and writes of job rows. Every change is version-checked: it applies only to
 * the version the worker read or claimed, so a cancel, a lease taken back or a duplicate delivery
 * that got there first makes the later write a no-op instead of a second completion.
 *
 * <p>Each statement waits out a database outage ({@link #OUTAGE_PATIENCE}) with backoff rather than
 * failing: the message stays unacknowledged meanwhile, so no redelivery counts against the queue's
 * delivery limit. Retrying a version-checked write whose commit went unanswered is safe: the retry
 * finds the new version and changes nothing.
 */
@ApplicationScoped
class JobStore {

  private static final String LOAD =
      "SELECT "
          + JobRow.columns("j")
          + ", j.request::text AS request,"
          + " coalesce(j.deadline_at < now() AND j.started_at IS NULL, false) AS past_deadline,"
          + " coalesce(j.lease_expires_at < now(), true) AS lease_lapsed,"
          + " t.tokens_per_minute AS tenant_tpm, t.max_concurrent_jobs AS tenant_max_concurrent,"
          + " (t.monthly_budget_usd IS NOT NULL OR k.monthly_budget_usd IS NOT NULL) AS budgeted"
          + " FROM jobs j JOIN tenants t ON t.id = j.tenant_id"
          + " LEFT JOIN api_keys k ON k.id = j.key_id WHERE j.id = $1";
  private static final String DEFER =
      "INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() + make_interval(secs => $3) FROM jobs"
          + " WHERE id = $1 AND version = $2 AND status = 'queued'";
  private static final String CLAIM =
      "UPDATE jobs SET status = 'running', attempts = attempts + 1,"
          + " started_at = coalesce(started_at, now()), lease_owner = $3,"
          + " lease_expires_at = now() + make_interval(secs => $4), version = version + 1"
          + " WHERE id = $1 AND version = $2 RETURNING attempts, version";

  /** Reserves the attempt's worst case against the job's budgets, then claims it (V5). */
  private static final String CLAIM_CALL =
      "SELECT attempts, version, refused FROM llmq_claim_call($1, $2, $3, $4, $5, $6,"
          + " $7::text::numeric, $8, $9)";

  private static final String HEARTBEAT =
      "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3),"
          + " slot_until = CASE WHEN slot_until IS NULL THEN NULL"
          + " ELSE now() + make_interval(secs => $3) END"
          + " WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND version = $4";
  private static final String SUCCEED =
      "UPDATE jobs SET status = 'succeeded', result = $3::text::jsonb, prompt_tokens = $4,"
          + " completion_tokens = $5, total_tokens = $6, cost_usd = coalesce(cost_usd, 0),"
          + " served_provider = $7, served_model = $8, completed_at = now(),"
          + " lease_owner = NULL, lease_expires_at = NULL, version = version + 1"
          + " WHERE id = $1 AND version = $2";

  /** The answer, and its ledger row: a cache hit of the attempt, costing 0, saving $7. */
  private static final String SUCCEED_CACHED =
      "WITH j AS (UPDATE jobs SET status = 'succeeded', cached = true, result = $3::text::jsonb,"
          + " prompt_tokens = $4, completion_tokens = $5, total_tokens = $6,"
          + " served_provider = $10, served_model = CASE WHEN $10::text IS NULL THEN NULL"
          + " ELSE model END,"
          + " cost_usd = coalesce(cost_usd, 0), cost_saved_usd = $7::text::numeric,"
          + " completed_at = now(), lease_owner = NULL, lease_expires_at = NULL,"
          + " version = version + 1 WHERE id = $1 AND version = $2"
          + " RETURNING id, tenant_id, key_id, attempts, model)"
          + " INSERT INTO usage_ledger (tenant_id, key_id, job_id, attempt, kind, model,"
          + " cost_saved_usd, settled, outcome, started_at, ended_at, month)"
          + " SELECT tenant_id, key_id, id, attempts, 'cache_hit', model, $7::text::numeric, true,"
          + " 'cache_hit', $8, $8, $9 FROM j ON CONFLICT (job_id, attempt) DO NOTHING";

  private static final String END =
      "UPDATE jobs SET status = $3, error_code = $4, error_message = $5, completed_at = now(),"
          + " lease_owner = NULL, lease_expires_at = NULL, version = version + 1"
          + " WHERE id = $1 AND version = $2";
  private static final String REQUEUE =
      "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL,"
          + " version = version + 1 WHERE id = $1 AND version = $2";

  static final Duration OUTAGE_PATIENCE = Duration.ofMinutes(5);

  private final Pool pool;
  private final OutboxRelay outbox;
  private final ObjectMapper json;

  JobStore(Pool pool, OutboxRelay outbox, ObjectMapper json) {
    this.pool = pool;
    this.outbox = outbox;
    this.json = json;
  }

  Uni<Optional<StoredJob>> load(UUID id) {
    return pool.preparedQuery(LOAD)
        .execute(Tuple.of(id))
        .map(rows ->
            rows.size() == 0 ? Optional.empty() : Optional.of(stored(rows.iterator().next())));
  }

  /** Takes the job's lease; empty when the job changed since it was read. */
  Uni<Optional<ClaimedJob>> claim(StoredJob job, ObjectNode request, String owner, Duration lease) {
    return patiently(
            pool.preparedQuery(CLAIM)
                .execute(Tuple.of(job.id(), job.version(), owner, seconds(lease))))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          return Optional.of(claimed(job, request, rows.iterator().next()));
        });
  }

  /** The job as a claim that answered {@code attempts} and {@code version} left it. */
  private static ClaimedJob claimed(StoredJob job, ObjectNode request, Row claim) {
    return new ClaimedJob(
        job.id(),
        job.tenantId(),
        job.model(),
        request,
        claim.getInteger("attempts"),
        job.maxAttempts(),
        claim.getInteger("version"));
  }

  /**
   * A call attempt's claim: the claimed job, or the budget ({@code tenant} or {@code key}) its
   * worst case did not fit in, in which case nothing was changed.
   */
  record CallClaim(Optional<ClaimedJob> claimed, String refusedBy) {}

  /**
   * Reserves {@code worst} against the job's budgets for the month of {@code now}, claims the job
   * and writes the attempt's ledger row, in one transaction; empty when the job changed since it
   * was read.
   */
  Uni<Optional<CallClaim>> claimCall(
      StoredJob job,
      ObjectNode request,
      String owner,
      Duration lease,
      String provider,
      BigDecimal worst,
      Instant now) {
    Tuple values =
        Tuple.of(job.id(), job.version(), owner, seconds(lease))
            .addString(provider)
            .addString(job.model())
            .addString(worst.toPlainString())
            .addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
            .addLocalDate(BudgetClock.monthOf(now));
    return patiently(pool.preparedQuery(CLAIM_CALL).execute(values))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          if (row.getString("refused") != null) {
            return Optional.of(new CallClaim(Optional.empty(), row.getString("refused")));
          }
          return Optional.of(new CallClaim(Optional.of(claimed(job, request, row)), null));
        });
  }

  /**
   * Has the job's message published again after {@code delay}, without touching the job (it stays
   * queued): for a job whose wait for capacity is too long to hold its message through.
   */
  Uni<Boolean> defer(StoredJob job, Duration delay) {
    return patiently(
            pool.preparedQuery(DEFER).execute(Tuple.of(job.id(), job.version(), seconds(delay))))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Renews the lease; false when the job is no longer this worker's to run. */
  Uni<Boolean> heartbeat(UUID id, int version, String owner, Duration lease) {
    return pool.preparedQuery(HEARTBEAT)
        .execute(Tuple.of(id, owner, seconds(lease), version))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Records the result and who served it; false when the job changed meanwhile (cancelled, or taken
   * back). The call's cost was settled into the job before ({@code AttemptLedger}).
   */
  Uni<Boolean> succeed(ClaimedJob job, Completion completion, String servedBy) {
    Tuple values =
        Tuple.of(job.id(), job.version(), completion.result().toString())
            .addInteger(completion.promptTokens())
            .addInteger(completion.completionTokens())
            .addInteger(completion.totalTokens())
            .addString(servedBy)
            .addString(job.model());
    return patiently(pool.preparedQuery(SUCCEED).execute(values)).map(rows -> rows.rowCount() == 1);
  }

  /**
   * Records an answer from the cache: {@code cached}, no cost of its own (earlier attempts' costs,
   * if any, stay), the usage of the call that produced the answer, and what that call would cost
   * now as {@code cost_saved_usd}, and a {@code cache_hit} row in the usage ledger (no tokens, no
   * cost). False when the job changed meanwhile.
   */
  Uni<Boolean> succeedFromCache(
      ClaimedJob job, CachedAnswer answer, BigDecimal saved, Instant now) {
    Tuple values =
        Tuple.of(job.id(), job.version(), answer.result().toString())
            .addInteger(answer.promptTokens())
            .addInteger(answer.completionTokens())
            .addInteger(answer.totalTokens())
            .addString(saved.toPlainString())
            .addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
            .addLocalDate(BudgetClock.monthOf(now))
            .addString(answer.servedBy());
    return patiently(pool.preparedQuery(SUCCEED_CACHED).execute(values))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Ends the job failed; false when it changed meanwhile. */
  Uni<Boolean> fail(UUID id, int version, FailureCode code, String message) {
    return end(id, version, JobStatus.FAILED, code.wire(), message);
  }

  /** Ends a job whose deadline passed before it started. */
  Uni<Boolean> expire(StoredJob job) {
    return end(job.id(), job.version(), JobStatus.EXPIRED, null, null);
  }

  private Uni<Boolean> end(UUID id, int version, JobStatus status, String code, String message) {
    Tuple values = Tuple.of(id, version, status.wire()).addString(code).addString(message);
    return patiently(pool.preparedQuery(END).execute(values)).map(rows -> rows.rowCount() == 1);
  }

  /**
   * Puts the job back in the queue after {@code delay}: the status change and the outbox row commit
   * together, so the retry cannot be lost.
   */
  Uni<Boolean> requeue(ClaimedJob job, Duration delay) {
    return patiently(
        pool.withTransaction(tx ->
            tx.preparedQuery(REQUEUE)
                .execute(Tuple.of(job.id(), job.version()))
                .chain(rows ->
                    rows.rowCount() == 1
                        ? outbox
                            .add(tx, JobMessage.of(job.id(), job.tenantId()), delay)
                            .replaceWith(true)
                        : Uni.createFrom().item(false))));
  }

  static <T> Uni<T> patiently(Uni<T> statement) {
    return Outages.patiently(statement, OUTAGE_PATIENCE);
  }

  private static StoredJob stored(Row row) {
    JobRow job = JobRow.from(row);
    return new StoredJob(
        job.id(),
        job.tenantId(),
        job.status(),
        job.model(),
        row.getString("request"),
        job.cacheMode(),
        job.attempts(),
        job.maxAttempts(),
        job.version(),
        row.getBoolean("past_deadline"),
        row.getBoolean("lease_lapsed"),
        row.getInteger("tenant_tpm") == null ? null : row.getInteger("tenant_tpm").longValue(),
        row.getInteger("tenant_max_concurrent"),
        row.getBoolean("budgeted"));
  }

  /** The job's chat request, parsed; done once per message, after it is known to mean work. */
  ObjectNode request(StoredJob job) {
    try {
      return (ObjectNode) json.readTree(job.requestJson());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }
}
