package io.llmq.common.job;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The life of a job: which status may follow which. The statements that change a job's status
 * ({@link JobTransitions}) build their {@code WHERE} clauses from this table ({@link #sourcesOf}),
 * so the database and the table never disagree; {@code JobTransitionsTest} walks every edge, legal
 * and illegal, against PostgreSQL.
 *
 * <p>One edge leads from a status to itself: {@code RUNNING -> RUNNING}, a worker taking over a
 * running job whose lease lapsed (its worker died or stalled). It is legal only for a lapsed lease;
 * {@link JobTransitions} adds that condition, since this table knows statuses, not leases.
 *
 * <p>A job is born {@link #QUEUED}, with one exception: a submission that the cache answers at once
 * (the api's lookup at submit) is inserted already {@link #SUCCEEDED}, since there is nothing left
 * to run. That is no transition, so this table does not list it; the job is terminal from birth and
 * never changes again, and its end is announced (SSE {@code done}, webhook) like any other.
 */
public enum JobStatus {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  EXPIRED;

  private static final Map<JobStatus, Set<JobStatus>> NEXT =
      Map.of(
          QUEUED, EnumSet.of(RUNNING, CANCELLED, EXPIRED, FAILED),
          // RUNNING -> QUEUED: a retry, or a lease taken back from a worker that died.
          // RUNNING -> RUNNING: a take-over of a lapsed lease (see the class comment).
          RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED, RUNNING),
          SUCCEEDED, EnumSet.noneOf(JobStatus.class),
          FAILED, EnumSet.noneOf(JobStatus.class),
          CANCELLED, EnumSet.noneOf(JobStatus.class),
          EXPIRED, EnumSet.noneOf(JobStatus.class));

  /** Whether a job in this status may move to {@code next}. */
  public boolean canBecome(JobStatus next) {
    return NEXT.get(this).contains(next);
  }

  /** A terminal job never changes again. */
  public boolean isTerminal() {
    return NEXT.get(this).isEmpty();
  }

  /** The statuses a job ends in. */
  public static Set<JobStatus> terminals() {
    Set<JobStatus> terminals = EnumSet.noneOf(JobStatus.class);
    for (JobStatus status : values()) {
      if (status.isTerminal()) {
        terminals.add(status);
      }
    }
    return terminals;
  }

  /** The statuses a job may be in just before it becomes {@code target}. */
  public static Set<JobStatus> sourcesOf(JobStatus target) {
    Set<JobStatus> sources = EnumSet.noneOf(JobStatus.class);
    for (JobStatus status : values()) {
      if (status.canBecome(target)) {
        sources.add(status);
      }
    }
    return sources;
  }

  /** The status as it appears on the wire and in the database: lower case. */
  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The status as a SQL literal ({@code 'queued'}). Statements name statuses as literals, not
   * parameters, so that the planner can match the partial indexes whose predicates name them.
   */
  public String sql() {
    return "'" + wire() + "'";
  }

  /** Parses {@link #wire()}; throws {@link IllegalArgumentException} for anything else. */
  public static JobStatus fromWire(String value) {
    for (JobStatus status : values()) {
      if (status.wire().equals(value)) {
        return status;
      }
    }
    throw new IllegalArgumentException("unknown job status");
  }
}
