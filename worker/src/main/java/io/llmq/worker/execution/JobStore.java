package io.llmq.worker.execution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.db.Plans;
import io.llmq.common.failure.Outages;
import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.guardrails.TenantPolicies;
import io.llmq.common.job.FailureCode;
import io.llmq.common.job.GroupCommit;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobTransitions;
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
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The worker's reads and writes of job rows. Every status change is {@link JobTransitions}'s, and
 * version-checked: it applies only to the version the worker read or claimed, so a cancel, a lease
 * taken back or a duplicate delivery that got there first makes the later write a no-op instead of
 * a second completion.
 *
 * <p>Each statement waits out a database outage ({@link #OUTAGE_PATIENCE}) with backoff rather than
 * failing: the message stays unacknowledged meanwhile, so no redelivery counts against the queue's
 * delivery limit. Retrying a version-checked write whose commit went unanswered is safe: the retry
 * finds the new version and changes nothing.
 */
@ApplicationScoped
class JobStore {

  private static final String LOAD =
      Plans.perId(
          "SELECT "
              + JobRow.columns("j")
              + ", j.request::text AS request,"
              + " coalesce("
              + JobTransitions.pastDeadline("j")
              + ", false) AS past_deadline, "
              + JobTransitions.leaseLapsed("j")
              + " AS lease_lapsed,"
              + " j.max_attempts + j.handed_back + j.repairs + j.route_attempts AS allowed_attempts,"
              + " j.repair::text AS repair, j.route_model,"
              + " t.tokens_per_minute AS tenant_tpm, t.max_concurrent_jobs AS tenant_max_concurrent,"
              + " (t.monthly_budget_usd IS NOT NULL OR k.monthly_budget_usd IS NOT NULL) AS budgeted,"
              + " t.share_weight AS tenant_share_weight, t.moderation AS tenant_moderation,"
              + " t.injection AS tenant_injection, t.fallbacks AS tenant_fallbacks,"
              + " t.injection_model AS tenant_injection_model"
              + " FROM jobs j JOIN tenants t ON t.id = j.tenant_id"
              + " LEFT JOIN api_keys k ON k.id = j.key_id WHERE j.id = v.id");
  private static final String DEFER =
      "INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() + make_interval(secs => $3) FROM jobs"
          + " WHERE id = $1 AND version = $2 AND status = "
          + JobStatus.QUEUED.sql();

  private static final String RECORD_GUARDRAILS =
      "UPDATE jobs SET guardrails = $2::text::jsonb WHERE id = $1";

  private static final String LEASED_BY =
      "SELECT 1 FROM jobs WHERE id = $1 AND lease_owner = $2 AND status = "
          + JobStatus.RUNNING.sql();

  private static final String HEARTBEAT =
      "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3),"
          + " slot_until = CASE WHEN slot_until IS NULL THEN NULL"
          + " ELSE now() + make_interval(secs => $3) END"
          + " WHERE id = $1 AND lease_owner = $2 AND version = $4 AND status = "
          + JobStatus.RUNNING.sql();

  /**
   * Back to the queue after $3 seconds, moved on to the fallback $4 with max_attempts more
   * attempts: the next attempts go to that model (V11).
   */
  private static final String MOVE_ON =
      "WITH j AS (UPDATE jobs SET status = "
          + JobStatus.QUEUED.sql()
          + ", route_model = $4, route_attempts = route_attempts + max_attempts,"
          + " lease_owner = NULL, lease_expires_at = NULL, version = version + 1"
          + " WHERE id = $1 AND version = $2 AND status = "
          + JobStatus.RUNNING.sql()
          + " RETURNING id, tenant_id)"
          + " INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() + make_interval(secs => $3) FROM j";

  /** Who serves the running attempt, shown with the job while it runs. */
  private static final String SERVING =
      "UPDATE jobs SET served_provider = $3, served_model = $4 WHERE id = $1 AND version = $2";

  static final Duration OUTAGE_PATIENCE = Duration.ofMinutes(5);

  /**
   * Most jobs one statement reads or ends, and how many such statements of a kind run at a time.
   */
  static final int END_BATCH = 64;

  static final int ENDS_IN_FLIGHT = 2;

  private final Pool pool;
  private final ObjectMapper json;

  /**
   * The results of concurrent jobs, recorded together ({@link GroupCommit}): under load one
   * statement and one commit carry many jobs' ends, each still version-checked on its own.
   */
  private final GroupCommit<JobTransitions.Success, Optional<JobRow>> successes;

  /**
   * The reads of the jobs whose messages arrive together, in one statement ({@link GroupCommit}):
   * each job as it is when the statement runs, as its own read would find it.
   */
  private final GroupCommit<UUID, Optional<StoredJob>> loads;

  JobStore(Pool pool, ObjectMapper json) {
    this.pool = pool;
    this.json = json;
    this.loads = new GroupCommit<>(this::loadAll, END_BATCH, ENDS_IN_FLIGHT);
    this.successes =
        new GroupCommit<>(
            batch -> patiently(JobTransitions.succeedAll(pool, batch)), END_BATCH, ENDS_IN_FLIGHT);
  }

  /** The job and what deciding about it needs (its tenant's settings); empty when there is none. */
  Uni<Optional<StoredJob>> load(UUID id) {
    return loads.submit(id);
  }

  private Uni<List<Optional<StoredJob>>> loadAll(List<UUID> ids) {
    return pool.preparedQuery(LOAD)
        .execute(Tuple.tuple().addArrayOfUUID(ids.toArray(new UUID[0])))
        .map(rows ->
            GroupCommit.inOrder(ids, rows, JobStore::stored, StoredJob::id).stream()
                .map(Optional::ofNullable)
                .toList());
  }

  /**
   * Takes the job's lease: the claimed job, or the refusal of a job whose deadline passed before it
   * started ({@link ClaimAnswer#pastDeadline}); empty when the job changed since it was read.
   */
  Uni<Optional<ClaimAnswer>> claim(
      StoredJob job, ObjectNode request, String owner, Duration lease) {
    return patiently(JobTransitions.claim(pool, job.id(), job.version(), owner, lease))
        .map(claim -> claim.map(answer -> answered(job, request, answer)));
  }

  private static ClaimAnswer answered(
      StoredJob job, ObjectNode request, JobTransitions.ClaimAnswer answer) {
    return new ClaimAnswer(
        answer.claim().map(taken -> claimed(job, request, taken)), answer.refusedBy());
  }

  /** The job as a claim left it. */
  private static ClaimedJob claimed(StoredJob job, ObjectNode request, JobTransitions.Claim claim) {
    return new ClaimedJob(
        job.id(),
        job.tenantId(),
        job.servingModel(),
        request,
        claim.attempts(),
        job.maxAttempts(),
        claim.version(),
        job.model(),
        job.policies().fallbacks(),
        job.routing());
  }

  /**
   * A claim: the claimed job, or what refused it, in which case nothing was changed: the job's
   * deadline ({@link JobTransitions#PAST_DEADLINE}), or for a call attempt the budget ({@code
   * tenant} or {@code key}) its worst case did not fit in.
   */
  record ClaimAnswer(Optional<ClaimedJob> claimed, String refusedBy) {

    /** The job's deadline passed before it started: it is to expire, not to run. */
    boolean pastDeadline() {
      return JobTransitions.PAST_DEADLINE.equals(refusedBy);
    }
  }

  /**
   * Reserves {@code worst} against the job's budgets for the month of {@code now}, claims the job
   * and writes the attempt's ledger row, in one transaction; refused with nothing reserved when the
   * job's deadline passed before it started, or its worst case does not fit in a budget. Empty when
   * the job changed since it was read.
   */
  Uni<Optional<ClaimAnswer>> claimCall(
      StoredJob job,
      ObjectNode request,
      String owner,
      Duration lease,
      String provider,
      BigDecimal worst,
      Instant now) {
    return patiently(
            JobTransitions.claimCall(
                pool,
                job.id(),
                job.version(),
                owner,
                lease,
                provider,
                job.servingModel(),
                worst,
                now,
                BudgetClock.monthOf(now)))
        .map(claim -> claim.map(answer -> answered(job, request, answer)));
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

  /** Whether the job runs under a lease {@code owner} holds. */
  Uni<Boolean> leasedBy(UUID id, String owner) {
    return pool.preparedQuery(LEASED_BY).execute(Tuple.of(id, owner)).map(rows -> rows.size() == 1);
  }

  /** Renews the lease; false when the job is no longer this worker's to run. */
  Uni<Boolean> heartbeat(UUID id, int version, String owner, Duration lease) {
    return pool.preparedQuery(HEARTBEAT)
        .execute(Tuple.of(id, owner, seconds(lease), version))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Records the result and who served it: the row as the update left it, from which the end is
   * announced without reading the job again; empty when the job changed meanwhile (cancelled, or
   * taken back). The call's cost was settled into the job before ({@code AttemptLedger}). Goes with
   * the ends of other jobs that end meanwhile ({@link #successes}).
   */
  Uni<Optional<JobRow>> succeed(ClaimedJob job, Completion completion, String servedBy) {
    JobTransitions.Answer answer =
        new JobTransitions.Answer(
            completion.result().toString(),
            completion.promptTokens(),
            completion.completionTokens(),
            completion.totalTokens(),
            servedBy,
            job.model());
    return successes.submit(new JobTransitions.Success(job.id(), job.version(), answer));
  }

  /**
   * Records an answer from the cache: {@code cached}, no cost of its own (earlier attempts' costs,
   * if any, stay), the usage of the call that produced the answer, and what that call would cost
   * now as {@code cost_saved_usd}, and a {@code cache_hit} row in the usage ledger (no tokens, no
   * cost). False when the job changed meanwhile.
   */
  Uni<Boolean> succeedFromCache(
      ClaimedJob job, CachedAnswer answer, BigDecimal saved, Instant now) {
    JobTransitions.Answer cached =
        new JobTransitions.Answer(
            answer.result().toString(),
            answer.promptTokens(),
            answer.completionTokens(),
            answer.totalTokens(),
            answer.servedBy());
    return patiently(
        JobTransitions.succeedFromCache(
            pool, job.id(), job.version(), cached, saved, now, BudgetClock.monthOf(now)));
  }

  /** Ends the job failed; false when it changed meanwhile. */
  Uni<Boolean> fail(UUID id, int version, FailureCode code, String message) {
    return patiently(JobTransitions.fail(pool, id, version, code, message));
  }

  /**
   * Ends a job whose deadline passed before it started (as read, or as its claim answered); false
   * when it changed meanwhile.
   */
  Uni<Boolean> expire(StoredJob job) {
    return patiently(JobTransitions.expire(pool, job.id(), job.version()));
  }

  /**
   * Puts the job back in the queue after {@code delay}: the status change and the outbox row commit
   * together, so the retry cannot be lost.
   */
  Uni<Boolean> requeue(ClaimedJob job, Duration delay) {
    return patiently(JobTransitions.requeue(pool, job.id(), job.version(), delay));
  }

  /**
   * Like {@link #requeue}, with the job moved on to {@code fallback}: its next attempts go to that
   * model, which gets the job's {@code max_attempts} of its own. False when the job changed.
   */
  Uni<Boolean> moveOn(ClaimedJob job, String fallback, Duration delay) {
    return patiently(
            pool.preparedQuery(MOVE_ON)
                .execute(Tuple.of(job.id(), job.version(), seconds(delay), fallback)))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Shows who serves the running attempt when a fallback does ({@code served_by} names it while it
   * runs, and in its {@code running} status event), and clears what an earlier fallback attempt
   * left there when the job's own model serves this one. Nothing to write otherwise.
   */
  Uni<Void> serving(ClaimedJob job, String provider) {
    boolean fallback = !job.model().equals(job.requestedModel());
    if (!fallback && job.routing().servedModel() == null) {
      return Uni.createFrom().voidItem();
    }
    Tuple values =
        Tuple.of(
            job.id(), job.version(), fallback ? provider : null, fallback ? job.model() : null);
    return patiently(pool.preparedQuery(SERVING).execute(values)).replaceWithVoid();
  }

  /**
   * Puts the job back in the queue at once for a repair of its invalid answer ({@code entries}, a
   * JSON array of {@code {answer, errors}}), its attempt not spent, unless it had {@code
   * maxRepairs} repairs already or changed meanwhile.
   */
  Uni<JobTransitions.RepairRequeue> requeueForRepair(
      ClaimedJob job, String entries, int maxRepairs) {
    return patiently(
        JobTransitions.requeueForRepair(
            pool, job.id(), job.version(), entries, Guardrails.NONE.json(), maxRepairs));
  }

  /**
   * Hands the job back to the queue, at once, from a worker that stops before the call ended: like
   * {@link #requeue}, but the attempt is not spent.
   */
  Uni<Boolean> handBack(ClaimedJob job) {
    return patiently(JobTransitions.handBack(pool, job.id(), job.version()));
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
        row.getInteger("allowed_attempts"),
        job.version(),
        row.getBoolean("past_deadline"),
        row.getBoolean("lease_lapsed"),
        row.getInteger("tenant_tpm") == null ? null : row.getInteger("tenant_tpm").longValue(),
        row.getInteger("tenant_max_concurrent"),
        row.getBoolean("budgeted"),
        job.priority(),
        row.getDouble("tenant_share_weight"),
        TenantPolicies.of(
            row.getString("tenant_moderation"),
            row.getString("tenant_injection"),
            row.getString("tenant_fallbacks"),
            row.getString("tenant_injection_model")),
        Optional.ofNullable(Guardrails.parse(job.guardrailsJson())).orElse(Guardrails.NONE),
        row.getString("repair"),
        new Routing(
            row.getString("route_model"), job.maxAttempts(), job.servedModel(), null, null));
  }

  /**
   * Records what the guardrails did to the job, shown with it from then on. Not a state change: no
   * version check and no new version, so it races nothing; the last record wins.
   */
  Uni<Void> recordGuardrails(UUID jobId, Guardrails guardrails) {
    return patiently(
            pool.preparedQuery(RECORD_GUARDRAILS).execute(Tuple.of(jobId, guardrails.json())))
        .replaceWithVoid();
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
