package io.llmq.common.job;

import static io.llmq.common.job.JobStatus.CANCELLED;
import static io.llmq.common.job.JobStatus.EXPIRED;
import static io.llmq.common.job.JobStatus.FAILED;
import static io.llmq.common.job.JobStatus.QUEUED;
import static io.llmq.common.job.JobStatus.RUNNING;
import static io.llmq.common.job.JobStatus.SUCCEEDED;

import io.llmq.common.db.Plans;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Every statement that changes a job's status, in both apps: claim and take-over, succeed, succeed
 * from the cache, fail, expire, requeue, requeue for a repair, hand back, cancel, reap and the
 * deadline sweep. Each statement's {@code WHERE} clause is built from {@link JobStatus}'s table
 * ({@link #mayBecome}), so no statement can make an edge the table does not list; the take-over of
 * a lapsed lease ({@code RUNNING -> RUNNING}) is the one edge with a condition besides the status,
 * and the deadline the one condition besides the table: a claim never starts a job whose deadline
 * passed before it ever started ({@link #pastDeadline}), and the sweep expires only such jobs.
 * Every statement but the reap and the sweep also checks the version the caller read or claimed the
 * job at, and every one moves the version on: a concurrent change that got there first (a cancel, a
 * take-over, a duplicate delivery, an expiry) turns the later statement into a no-op that answers
 * "not changed". A statement that goes with other writes (the ledger row of a cache hit, the outbox
 * row of a requeue or a reap) makes them in the same statement: atomic, and one round trip. {@code
 * JobTransitionsTest} walks every edge, legal and illegal, against PostgreSQL.
 *
 * <p>Outside this class, status names appear in SQL only as conditions of statements that do not
 * change the status (built with {@link #statusIn}), and in the Flyway migrations, which stay as
 * they were applied: the {@code CHECK} on {@code jobs.status}, the partial indexes, the triggers
 * {@code jobs_webhook_on_end} (V3) and {@code jobs_slot_on_leave} (V5), and the V5 functions. Of
 * those, only {@code llmq_claim_call} changes a status: its {@code UPDATE} checks the version
 * alone, so {@link #claimCall} hands it the version only when this class's claim condition holds.
 * The slot functions ({@code llmq_take_slot}, {@code llmq_hand_over}) and {@code llmq_settle_lost}
 * read statuses and change none. A job born {@code queued} or born {@code succeeded} (the api's
 * submit) is no transition: those inserts stay with the api.
 */
public final class JobTransitions {

  private JobTransitions() {}

  /** What a claim left the job at. */
  public record Claim(int attempts, int version) {}

  /**
   * What a claim of a job still at the version read answered: the claim, or what refused it, in
   * which case nothing was changed: {@value #PAST_DEADLINE} (the job's deadline passed before it
   * ever started; any claim), or the budget ({@code tenant} or {@code key}) a call attempt's worst
   * case did not fit in ({@link #claimCall} only). The deadline is weighed first.
   */
  public record ClaimAnswer(Optional<Claim> claim, String refusedBy) {

    /** Whether the claim was refused because the job's deadline passed before it started. */
    public boolean pastDeadline() {
      return PAST_DEADLINE.equals(refusedBy);
    }
  }

  /** A job the deadline sweep expired. */
  public record Expired(UUID id, UUID tenantId) {}

  /** The refusal of a claim whose job's deadline passed before it ever started. */
  public static final String PAST_DEADLINE = "deadline";

  /**
   * The answer a job succeeds with, the provider that served it ({@code null}: none), and the model
   * that answered ({@code null}: the job's own; a fallback's name otherwise, SPEC §3 Fallbacks).
   */
  public record Answer(
      String resultJson,
      int promptTokens,
      int completionTokens,
      int totalTokens,
      String servedProvider,
      String servedModel) {

    /** An answer of the job's own model. */
    public Answer(
        String resultJson,
        int promptTokens,
        int completionTokens,
        int totalTokens,
        String servedProvider) {
      this(resultJson, promptTokens, completionTokens, totalTokens, servedProvider, null);
    }
  }

  /** How many lapsed leases one reap takes back at most. */
  static final int REAP_BATCH = 100;

  /** How many jobs one deadline sweep expires at most. */
  public static final int SWEEP_BATCH = 100;

  /**
   * The job may be claimed at version $2 (id $1) as far as its status goes: the condition both
   * halves of a claim share, the one that claims and the one that answers {@link #PAST_DEADLINE}.
   */
  private static final String CLAIMABLE =
      "jobs.id = $1 AND jobs.version = $2 AND " + mayBecome(RUNNING);

  /**
   * The second half of a claim: one row, {@link #PAST_DEADLINE}, when the job is claimable but for
   * its deadline. Its condition is the exact opposite of the first half's deadline condition, and
   * both read a job at one version (which every start moves on), so a claim answers at most one
   * row.
   */
  private static final String REFUSED_LATE =
      " UNION ALL SELECT NULL::integer, NULL::integer, '"
          + PAST_DEADLINE
          + "'::text FROM jobs WHERE "
          + CLAIMABLE
          + " AND "
          + pastDeadline("jobs");

  private static final String CLAIM =
      "WITH claimed AS (UPDATE jobs SET status = "
          + RUNNING.sql()
          + ", attempts = attempts + 1, started_at = coalesce(started_at, now()),"
          + " lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4),"
          + " version = version + 1 WHERE "
          + CLAIMABLE
          + " AND "
          + inTime("jobs")
          + " RETURNING attempts, version)"
          + " SELECT attempts, version, NULL::text AS refused FROM claimed"
          + REFUSED_LATE;

  /**
   * Reserves the attempt's worst case against the job's budgets, then claims it and writes the
   * attempt's ledger row, in one transaction (V5). The function's claim checks only the version, so
   * it is called (laterally, once per row of the guard) only if the job may be claimed at that
   * version and its deadline has not passed: a job that may not be claimed reserves nothing and
   * locks no budget row, and one past its deadline answers {@link #PAST_DEADLINE} whatever its
   * budget. The guard is read with the statement's snapshot; the version, which every status change
   * moves on, is checked again under the row's lock.
   */
  private static final String CLAIM_CALL =
      "SELECT c.attempts, c.version, c.refused FROM jobs,"
          + " LATERAL llmq_claim_call($1, jobs.version, $3, $4, $5, $6, $7::text::numeric, $8, $9) c"
          + " WHERE "
          + CLAIMABLE
          + " AND "
          + inTime("jobs")
          + REFUSED_LATE;

  private static final String SUCCEED =
      "UPDATE jobs SET status = "
          + SUCCEEDED.sql()
          + ", result = $3::text::jsonb, prompt_tokens = $4, completion_tokens = $5,"
          + " total_tokens = $6, cost_usd = coalesce(cost_usd, 0), served_provider = $7,"
          + " served_model = coalesce($8::text, model), completed_at = now(), lease_owner = NULL,"
          + " lease_expires_at = NULL, version = version + 1"
          + " WHERE id = $1 AND version = $2 AND "
          + mayBecome(SUCCEEDED);

  /**
   * {@link #SUCCEED} for many jobs in one statement: the same changes, each row version-checked on
   * its own ($1 ids, $2 versions, then each answer's fields), answering the rows it changed.
   */
  private static final String SUCCEED_ALL =
      Plans.eachTime(
          "UPDATE jobs SET status = "
              + SUCCEEDED.sql()
              + ", result = v.result::jsonb, prompt_tokens = v.prompt, completion_tokens ="
              + " v.completion, total_tokens = v.total, cost_usd = coalesce(jobs.cost_usd, 0),"
              + " served_provider = v.provider, served_model = coalesce(v.served_model, jobs.model),"
              + " completed_at = now(), lease_owner = NULL, lease_expires_at = NULL,"
              + " version = jobs.version + 1"
              + " FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::integer[], $5::integer[],"
              + " $6::integer[], $7::text[], $8::text[])"
              + " AS v(id, version, result, prompt, completion, total, provider, served_model)"
              + " WHERE jobs.id = v.id AND jobs.version = v.version AND "
              + mayBecome(SUCCEEDED)
              + " RETURNING "
              + JobRow.columns("jobs"));

  /** The answer, and its ledger row: a cache hit of the attempt, costing 0, saving $8. */
  private static final String SUCCEED_FROM_CACHE =
      "WITH j AS (UPDATE jobs SET status = "
          + SUCCEEDED.sql()
          + ", cached = true, result = $3::text::jsonb,"
          + " prompt_tokens = $4, completion_tokens = $5, total_tokens = $6,"
          + " served_provider = $7, served_model = CASE WHEN $7::text IS NULL THEN NULL"
          + " ELSE model END,"
          + " cost_usd = coalesce(cost_usd, 0), cost_saved_usd = $8::text::numeric,"
          + " completed_at = now(), lease_owner = NULL, lease_expires_at = NULL,"
          + " version = version + 1 WHERE id = $1 AND version = $2 AND "
          + mayBecome(SUCCEEDED)
          + " RETURNING id, tenant_id, key_id, attempts, model)"
          + " INSERT INTO usage_ledger (tenant_id, key_id, job_id, attempt, kind, model,"
          + " cost_saved_usd, settled, outcome, started_at, ended_at, month)"
          + " SELECT tenant_id, key_id, id, attempts, 'cache_hit', model, $8::text::numeric, true,"
          + " 'cache_hit', $9, $9, $10 FROM j ON CONFLICT (job_id, attempt) DO NOTHING";

  private static final String FAIL =
      "UPDATE jobs SET status = "
          + FAILED.sql()
          + ", error_code = $3, error_message = $4, completed_at = now(),"
          + " lease_owner = NULL, lease_expires_at = NULL, version = version + 1"
          + " WHERE id = $1 AND version = $2 AND "
          + mayBecome(FAILED);

  private static final String EXPIRED_SET =
      "UPDATE jobs SET status = "
          + EXPIRED.sql()
          + ", error_code = NULL, error_message = NULL, completed_at = now(),"
          + " lease_owner = NULL, lease_expires_at = NULL, version = version + 1";

  private static final String EXPIRE =
      EXPIRED_SET + " WHERE id = $1 AND version = $2 AND " + mayBecome(EXPIRED);

  /**
   * The deadline sweep: expires up to {@value #SWEEP_BATCH} queued jobs whose deadline passed
   * before they started, wherever they wait (parked for a tenant slot, put back for capacity, held
   * by a worker waiting for the governor). No version check: the sweep takes whatever it finds
   * overdue; {@code SKIP LOCKED} keeps concurrent sweeps (every replica runs one) and claims from
   * waiting on each other, and a row that changed after the statement's snapshot is read again
   * under its lock, so a job claimed or ended meanwhile is left alone and no job expires twice. The
   * condition is the partial index {@code jobs_overdue}'s (V8). A locked CTE is never inlined: the
   * batch is picked once.
   */
  private static final String SWEEP =
      "WITH overdue AS (SELECT id FROM jobs WHERE "
          + mayBecome(EXPIRED)
          + " AND "
          + pastDeadline("jobs")
          + " ORDER BY deadline_at LIMIT "
          + SWEEP_BATCH
          + " FOR UPDATE SKIP LOCKED) "
          + EXPIRED_SET
          + " FROM overdue WHERE jobs.id = overdue.id RETURNING jobs.id, jobs.tenant_id";

  /** Back to the queue, with the outbox row that publishes the job again after $3 seconds. */
  private static final String REQUEUE =
      "WITH j AS (UPDATE jobs SET status = "
          + QUEUED.sql()
          + ", lease_owner = NULL, lease_expires_at = NULL,"
          + " version = version + 1 WHERE id = $1 AND version = $2 AND "
          + mayBecome(QUEUED)
          + " RETURNING id, tenant_id)"
          + " INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() + make_interval(secs => $3) FROM j";

  /**
   * {@link #REQUEUE} at once from a worker that stopped before the call ended: the attempt is
   * handed back ({@code handed_back}, V6), which gives the job one more in its allowance.
   */
  private static final String HAND_BACK =
      "WITH j AS (UPDATE jobs SET status = "
          + QUEUED.sql()
          + ", handed_back = handed_back + 1, lease_owner = NULL, lease_expires_at = NULL,"
          + " version = version + 1 WHERE id = $1 AND version = $2 AND "
          + mayBecome(QUEUED)
          + " RETURNING id, tenant_id)"
          + " INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() FROM j";

  /**
   * {@link #REQUEUE} at once for a repair of an invalid answer (V10): the job's {@code repair}
   * grows by the entries $3 (a JSON array), {@code repairs} and {@code guardrails.repairs} by one
   * ($4 is the guardrails record to start from when the job has none), unless the job already had
   * $5 repairs. Answers whether it was requeued and how many repairs the job had before (NULL when
   * it changed since its claim).
   */
  private static final String REQUEUE_FOR_REPAIR =
      "WITH prior AS (SELECT repairs FROM jobs WHERE id = $1 AND version = $2),"
          + " j AS (UPDATE jobs SET status = "
          + QUEUED.sql()
          + ", repair = coalesce(repair, '[]'::jsonb) || $3::text::jsonb, repairs = repairs + 1,"
          + " guardrails = jsonb_set(coalesce(guardrails, $4::text::jsonb), '{repairs}',"
          + " to_jsonb(repairs + 1)), lease_owner = NULL, lease_expires_at = NULL,"
          + " version = version + 1 WHERE id = $1 AND version = $2 AND repairs < $5 AND "
          + mayBecome(QUEUED)
          + " RETURNING id, tenant_id),"
          + " o AS (INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() FROM j RETURNING job_id)"
          + " SELECT (SELECT count(*) FROM o) AS requeued, (SELECT repairs FROM prior) AS repairs";

  private static final String CANCEL =
      "UPDATE jobs SET status = "
          + CANCELLED.sql()
          + ", completed_at = now(), lease_owner = NULL,"
          + " lease_expires_at = NULL, version = version + 1"
          + " WHERE id = $1 AND version = $2 AND "
          + mayBecome(CANCELLED)
          + " RETURNING "
          + JobRow.COLUMNS;

  /**
   * Running jobs whose lease lapsed go back to the queue, each with an outbox row due now. No
   * version check: the reap takes whatever it finds lapsed; {@code SKIP LOCKED} keeps replicas from
   * taking one job twice. The inner condition is the partial index {@code jobs_lapsed_leases}'s.
   */
  private static final String REAP =
      "WITH lapsed AS (UPDATE jobs SET status = "
          + QUEUED.sql()
          + ", lease_owner = NULL,"
          + " lease_expires_at = NULL, version = version + 1 WHERE id IN (SELECT id FROM jobs"
          + " WHERE "
          + mayBecome(QUEUED)
          + " AND lease_expires_at < now() ORDER BY lease_expires_at"
          + " LIMIT "
          + REAP_BATCH
          + " FOR UPDATE SKIP LOCKED) RETURNING id, tenant_id)"
          + " INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() FROM lapsed RETURNING job_id";

  /**
   * Takes the job's lease for {@code lease}: from {@code queued}, or as a take-over of a running
   * job whose lease lapsed. Refused ({@link #PAST_DEADLINE}, nothing changed) when the job's
   * deadline passed before it ever started; a job that started once (a retry, a take-over) is not
   * held to its deadline again. Empty when the job changed since it was read at {@code version}, or
   * may not be claimed.
   */
  public static Uni<Optional<ClaimAnswer>> claim(
      SqlClient db, UUID id, int version, String owner, Duration lease) {
    return db.preparedQuery(CLAIM)
        .execute(Tuple.of(id, version, owner, seconds(lease)))
        .map(rows -> first(rows).map(JobTransitions::answerOf));
  }

  /**
   * {@link #claim} for a call attempt: reserves {@code worst} against the job's budgets for {@code
   * month} and writes the attempt's ledger row ({@code provider}, {@code model}, started {@code
   * now}) with the claim, in one transaction. Refused, with nothing reserved or written, when the
   * job's deadline passed before it ever started ({@link #PAST_DEADLINE}, whatever the budgets) or
   * when the worst case does not fit in a budget. Empty when the job changed since it was read or
   * may not be claimed.
   */
  public static Uni<Optional<ClaimAnswer>> claimCall(
      SqlClient db,
      UUID id,
      int version,
      String owner,
      Duration lease,
      String provider,
      String model,
      BigDecimal worst,
      Instant now,
      LocalDate month) {
    Tuple values =
        Tuple.of(id, version, owner, seconds(lease))
            .addString(provider)
            .addString(model)
            .addString(worst.toPlainString())
            .addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
            .addLocalDate(month);
    return db.preparedQuery(CLAIM_CALL)
        .execute(values)
        .map(rows -> first(rows).map(JobTransitions::answerOf));
  }

  /**
   * Records the answer of a running job and who served it; false when the job changed since its
   * claim (cancelled, or taken over). The call's cost was settled into the job before.
   */
  public static Uni<Boolean> succeed(SqlClient db, UUID id, int version, Answer answer) {
    return changed(db, SUCCEED, answered(id, version, answer).addString(answer.servedModel()));
  }

  /** One job's answer for {@link #succeedAll}: the job at the version its claim wrote. */
  public record Success(UUID id, int version, Answer answer) {}

  /**
   * {@link #succeed} for many jobs in one statement (a group commit of concurrent jobs' ends): each
   * row changes as its own {@link #succeed} would change it, version-checked on its own. Answers,
   * in the order of {@code jobs}, each job's row as the update left it, or empty for a job that
   * changed since its claim.
   */
  public static Uni<List<Optional<JobRow>>> succeedAll(SqlClient db, List<Success> jobs) {
    int n = jobs.size();
    UUID[] ids = new UUID[n];
    Integer[] versions = new Integer[n];
    String[] results = new String[n];
    Integer[] prompts = new Integer[n];
    Integer[] completions = new Integer[n];
    Integer[] totals = new Integer[n];
    String[] providers = new String[n];
    String[] servedModels = new String[n];
    for (int i = 0; i < n; i++) {
      Success job = jobs.get(i);
      ids[i] = job.id();
      versions[i] = job.version();
      results[i] = job.answer().resultJson();
      prompts[i] = job.answer().promptTokens();
      completions[i] = job.answer().completionTokens();
      totals[i] = job.answer().totalTokens();
      providers[i] = job.answer().servedProvider();
      servedModels[i] = job.answer().servedModel();
    }
    Tuple values =
        Tuple.tuple()
            .addArrayOfUUID(ids)
            .addArrayOfInteger(versions)
            .addArrayOfString(results)
            .addArrayOfInteger(prompts)
            .addArrayOfInteger(completions)
            .addArrayOfInteger(totals)
            .addArrayOfString(providers)
            .addArrayOfString(servedModels);
    return db.preparedQuery(SUCCEED_ALL)
        .execute(values)
        .map(rows ->
            GroupCommit.inOrder(
                    jobs.stream().map(Success::id).toList(), rows, JobRow::from, JobRow::id)
                .stream()
                .map(Optional::ofNullable)
                .toList());
  }

  /**
   * Records an answer from the cache: {@code cached}, no cost of its own (earlier attempts' costs,
   * if any, stay), the usage of the call that produced the answer, what that call would cost now as
   * {@code cost_saved_usd}, and a {@code cache_hit} ledger row of the attempt (at {@code now}, in
   * {@code month}). False when the job changed since its claim.
   */
  public static Uni<Boolean> succeedFromCache(
      SqlClient db,
      UUID id,
      int version,
      Answer answer,
      BigDecimal saved,
      Instant now,
      LocalDate month) {
    Tuple values =
        answered(id, version, answer)
            .addString(saved.toPlainString())
            .addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
            .addLocalDate(month);
    return changed(db, SUCCEED_FROM_CACHE, values);
  }

  /** Ends a queued or running job failed; false when it changed since it was read. */
  public static Uni<Boolean> fail(
      SqlClient db, UUID id, int version, FailureCode code, String message) {
    return changed(db, FAIL, Tuple.of(id, version, code.wire(), message));
  }

  /**
   * Ends a queued job expired: one whose deadline passed before it started, as the caller found it
   * (a refused claim, or the job as read); false when it changed.
   */
  public static Uni<Boolean> expire(SqlClient db, UUID id, int version) {
    return changed(db, EXPIRE, Tuple.of(id, version));
  }

  /**
   * Expires up to {@value #SWEEP_BATCH} queued jobs whose deadline passed before they ever started,
   * oldest deadline first, whichever replica holds or waits for them; answers the jobs expired.
   * Safe to run in several replicas at once: each job is expired once.
   */
  public static Uni<List<Expired>> expireOverdue(SqlClient db) {
    return db.query(SWEEP)
        .execute()
        .map(rows -> {
          List<Expired> expired = new ArrayList<>(rows.size());
          rows.forEach(
              row -> expired.add(new Expired(row.getUUID("id"), row.getUUID("tenant_id"))));
          return expired;
        });
  }

  /**
   * Puts a running job back in the queue, to be published again after {@code delay}: the status
   * change and the outbox row commit together, so the retry cannot be lost. False when the job
   * changed since its claim.
   */
  public static Uni<Boolean> requeue(SqlClient db, UUID id, int version, Duration delay) {
    return changed(db, REQUEUE, Tuple.of(id, version, seconds(delay)));
  }

  /**
   * Puts a running job back in the queue at once, its attempt not spent: the stopping worker's
   * hand-back. False when the job changed since its claim.
   */
  public static Uni<Boolean> handBack(SqlClient db, UUID id, int version) {
    return changed(db, HAND_BACK, Tuple.of(id, version));
  }

  /**
   * What {@link #requeueForRepair} did: {@code requeued} for a repair, else {@code repairsBefore}
   * says why not: the job had that many repairs already, or ({@code null}) it changed since its
   * claim.
   */
  public record RepairRequeue(boolean requeued, Integer repairsBefore) {}

  /**
   * Puts a running job back in the queue at once for a repair of its invalid answer, its attempt
   * not spent (V10): {@code entries} (a JSON array of {@code {answer, errors}}) are added to the
   * job's {@code repair}, and its repair count, in {@code repairs} and {@code guardrails.repairs}
   * ({@code noGuardrails} is the record to start from), goes up by one. Refused when the job had
   * {@code maxRepairs} repairs already, or changed since its claim.
   */
  public static Uni<RepairRequeue> requeueForRepair(
      SqlClient db, UUID id, int version, String entries, String noGuardrails, int maxRepairs) {
    return db.preparedQuery(REQUEUE_FOR_REPAIR)
        .execute(Tuple.of(id, version, entries, noGuardrails).addInteger(maxRepairs))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new RepairRequeue(row.getLong("requeued") == 1, row.getInteger("repairs"));
        });
  }

  /**
   * Ends a queued or running job cancelled; answers the job as it left it, or empty when it changed
   * since it was read (or had ended).
   */
  public static Uni<Optional<JobRow>> cancel(SqlClient db, UUID id, int version) {
    return db.preparedQuery(CANCEL)
        .execute(Tuple.of(id, version))
        .map(rows -> first(rows).map(JobRow::from));
  }

  /**
   * Takes back up to {@value #REAP_BATCH} running jobs whose lease lapsed (their worker died):
   * queued again, each with an outbox row due now. Answers the jobs taken back.
   */
  public static Uni<List<UUID>> reap(SqlClient db) {
    return db.query(REAP)
        .execute()
        .map(rows -> {
          List<UUID> taken = new ArrayList<>(rows.size());
          rows.forEach(row -> taken.add(row.getUUID("job_id")));
          return taken;
        });
  }

  /**
   * The condition that a job's lease lapsed, as a worker judges it before a take-over: it has none,
   * or one past its expiry. {@code table} names the jobs table (or its alias) in the statement.
   */
  public static String leaseLapsed(String table) {
    return "coalesce(" + table + ".lease_expires_at < now(), true)";
  }

  /**
   * The condition that a job's deadline passed before it ever started (a job that started once and
   * went back to the queue is not held to it again: SPEC's "expire if not started in time"). NULL,
   * not false, for a job without a deadline: a {@code WHERE} leaves it out, a selected column wants
   * {@code coalesce}. {@code table} names the jobs table (or its alias) in the statement.
   */
  public static String pastDeadline(String table) {
    return "(" + table + ".deadline_at < now() AND " + table + ".started_at IS NULL)";
  }

  /** The opposite of {@link #pastDeadline}, for a job without a deadline too. */
  private static String inTime(String table) {
    return "NOT coalesce(" + pastDeadline(table) + ", false)";
  }

  /**
   * The condition that {@code status} is one of {@code statuses}, with literals (see {@link
   * JobStatus#sql()}): for statements that read jobs, or amend them without changing their status.
   */
  public static String statusIn(Set<JobStatus> statuses) {
    return in("status", statuses);
  }

  private static String in(String column, Set<JobStatus> statuses) {
    if (statuses.isEmpty()) {
      throw new IllegalArgumentException("no status");
    }
    if (statuses.size() == 1) {
      return column + " = " + statuses.iterator().next().sql();
    }
    return column
        + " IN ("
        + statuses.stream().map(JobStatus::sql).collect(Collectors.joining(", "))
        + ")";
  }

  /** Whether a job in {@code from} may become {@code to}, its lease lapsed or not. */
  static boolean allows(JobStatus from, JobStatus to, boolean leaseLapsed) {
    return from.canBecome(to) && (!isTakeOver(from, to) || leaseLapsed);
  }

  /**
   * The condition that a job may become {@code target}: its status is one of {@link
   * JobStatus#sourcesOf}, and for a take-over its lease lapsed.
   */
  static String mayBecome(JobStatus target) {
    Set<JobStatus> plain = EnumSet.noneOf(JobStatus.class);
    List<String> conditions = new ArrayList<>();
    for (JobStatus from : JobStatus.sourcesOf(target)) {
      if (isTakeOver(from, target)) {
        conditions.add("(jobs.status = " + from.sql() + " AND " + leaseLapsed("jobs") + ")");
      } else {
        plain.add(from);
      }
    }
    if (!plain.isEmpty()) {
      conditions.addFirst(in("jobs.status", plain));
    }
    return conditions.size() == 1
        ? conditions.getFirst()
        : "(" + String.join(" OR ", conditions) + ")";
  }

  private static boolean isTakeOver(JobStatus from, JobStatus to) {
    return from == RUNNING && to == RUNNING;
  }

  private static Tuple answered(UUID id, int version, Answer answer) {
    return Tuple.of(id, version, answer.resultJson())
        .addInteger(answer.promptTokens())
        .addInteger(answer.completionTokens())
        .addInteger(answer.totalTokens())
        .addString(answer.servedProvider());
  }

  private static Uni<Boolean> changed(SqlClient db, String statement, Tuple values) {
    return db.preparedQuery(statement).execute(values).map(rows -> rows.rowCount() == 1);
  }

  private static ClaimAnswer answerOf(Row row) {
    String refused = row.getString("refused");
    return refused != null
        ? new ClaimAnswer(Optional.empty(), refused)
        : new ClaimAnswer(
            Optional.of(new Claim(row.getInteger("attempts"), row.getInteger("version"))), null);
  }

  private static Optional<Row> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }
}
