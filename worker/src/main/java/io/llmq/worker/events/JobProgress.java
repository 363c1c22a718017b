package io.llmq.worker.events;

import io.llmq.common.db.Plans;
import io.llmq.common.events.Announcer;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.governor.QueuePositions;
import io.llmq.common.job.GroupCommit;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/**
 * The worker's side of a job's progress stream: a {@code status} event when a run starts and when a
 * job goes back to the queue for another attempt, {@code delta} events while the provider streams,
 * and the {@code done} event once the terminal status is committed. Status events carry the job as
 * the row shows it, read after the change; they are best effort, while {@code done} is also covered
 * by the announcement sweep.
 */
@ApplicationScoped
public class JobProgress {

  private static final String VIEW =
      Plans.perId("SELECT " + JobRow.COLUMNS + " FROM jobs WHERE id = v.id");

  /** Most rows one statement reads, and how many such statements run at a time. */
  private static final int READ_BATCH = 64;

  private static final int READS_IN_FLIGHT = 2;

  private final Pool pool;
  private final EventLog log;
  private final Announcer announcer;
  private final QueuePositions positions;

  /**
   * The rows that status events of concurrent jobs carry, read in one statement ({@link
   * GroupCommit}): each as it is when the statement runs, read after its change as before.
   */
  private final GroupCommit<UUID, JobRow> rows;

  JobProgress(Pool pool, EventLog log, Announcer announcer, QueuePositions positions) {
    this.rows = new GroupCommit<>(this::rowsOf, READ_BATCH, READS_IN_FLIGHT);
    this.pool = pool;
    this.log = log;
    this.announcer = announcer;
    this.positions = positions;
  }

  /**
   * The queued job's place in the governor's waiting room changed (it entered, or its estimated
   * start moved): a {@code status} event with its {@code queue}, though its status did not change.
   */
  public Uni<Void> queued(UUID jobId) {
    return row(jobId)
        .chain(job -> {
          if (job == null || job.status() != JobStatus.QUEUED) {
            return Uni.createFrom().voidItem();
          }
          return positions
              .view(job)
              .chain(view -> log.refresh(jobId, job.version(), view.json()))
              .replaceWithVoid();
        });
  }

  /**
   * A run of the job started under the claim that wrote {@code version}: its {@code running} status
   * goes first, then the call's output.
   */
  public RunEvents started(UUID jobId, int version) {
    RunEvents run = new RunEvents(jobId, version, log);
    run.then(() -> statusNow(jobId, JobStatus.RUNNING));
    return run;
  }

  /** The job changed status short of its end (back to the queue for a retry). */
  public void changed(UUID jobId) {
    statusNow(jobId, null)
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Job(id=%s) status event lost", jobId));
  }

  /** The job's terminal status is committed: its {@code done} event, at once. */
  public void ended(UUID jobId) {
    announcer.announceLater(jobId);
  }

  /**
   * The job's terminal status is committed, and {@code row} is the row its terminal update
   * answered: its {@code done} event from that row, without reading the job again (nothing else
   * announces a job before the sweep's grace, and announcing twice yields one event).
   */
  public void ended(JobRow row) {
    announcer.announceLater(row.view(), row.version());
  }

  /** The job's end, with whatever was accounted after it (a cancelled call's usage). */
  public Uni<Long> endedNow(UUID jobId) {
    return announcer.announce(jobId);
  }

  /** Appends the job's current status, if it is {@code expected} (any live status when null). */
  private Uni<Void> statusNow(UUID jobId, JobStatus expected) {
    return row(jobId)
        .chain(job -> {
          if (job == null
              || job.status().isTerminal()
              || (expected != null && job.status() != expected)) {
            return Uni.createFrom().voidItem();
          }
          return log.append(jobId, JobEvent.STATUS, job.version(), job.view().json())
              .replaceWithVoid();
        });
  }

  /** The job's row as it is now, {@code null} when there is none. */
  private Uni<JobRow> row(UUID jobId) {
    return rows.submit(jobId);
  }

  private Uni<List<JobRow>> rowsOf(List<UUID> ids) {
    return pool.preparedQuery(VIEW)
        .execute(Tuple.tuple().addArrayOfUUID(ids.toArray(new UUID[0])))
        .map(found -> GroupCommit.inOrder(ids, found, JobRow::from, JobRow::id));
  }
}
