package io.llmq.common.events;

import io.llmq.common.db.Plans;
import io.llmq.common.job.GroupCommit;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobTransitions;
import io.llmq.common.job.JobView;
import io.llmq.common.messaging.JobNotices;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Appends a job's terminal ({@code done}) event and records its id on the job row, which makes it
 * the job's {@code webhook-id} too. It runs right after whatever committed the terminal status (a
 * worker's result, a cancel), and a sweep in every replica covers an announcement that never came:
 * the process died after the commit, Redis was away, or a cancelled job's worker never reported.
 * Appending {@code done} twice yields the same id, so racing announcers agree.
 *
 * <p>Order matters: the event is appended first, then its id is stored. A crash in between leaves
 * the id unstored, and the next announcement finds the same event again.
 */
@ApplicationScoped
public class Announcer {

  private static final String LOAD = "SELECT " + JobRow.COLUMNS + " FROM jobs WHERE id = $1";

  /** Records many jobs' terminal event ids at once ($1 job ids, $2 their events' ids). */
  private static final String RECORD =
      Plans.eachTime(
          "UPDATE jobs SET terminal_event_id = v.event FROM unnest($1::uuid[], $2::integer[])"
              + " AS v(id, event) WHERE jobs.id = v.id AND jobs.terminal_event_id IS NULL");

  /** Most ids one statement records, and how many such statements run at a time. */
  private static final int RECORD_BATCH = 64;

  private static final int RECORDS_IN_FLIGHT = 2;

  private record Recorded(UUID jobId, int eventId) {}

  private static final String OVERDUE =
      "SELECT id FROM jobs WHERE terminal_event_id IS NULL AND "
          + JobTransitions.statusIn(JobStatus.terminals())
          + " AND completed_at < now() - make_interval(secs => $1) ORDER BY completed_at LIMIT 100";
  private static final Duration SWEEP_TIMEOUT = Duration.ofSeconds(30);

  private final Pool pool;
  private final EventLog events;
  private final ReactiveRedisDataSource redis;
  private final Duration grace;

  /**
   * The ids of concurrent announcements, recorded together ({@link GroupCommit}): under load one
   * statement carries many jobs' ids. Each write is conditional on no id being stored yet, so a
   * batch means what its writes would mean one by one.
   */
  private final GroupCommit<Recorded, Void> records;

  Announcer(Pool pool, EventLog events, ReactiveRedisDataSource redis, EventsConfig config) {
    this.pool = pool;
    this.events = events;
    this.redis = redis;
    this.grace = config.announceGrace();
    this.records = new GroupCommit<>(this::recordAll, RECORD_BATCH, RECORDS_IN_FLIGHT);
  }

  private Uni<List<Void>> recordAll(List<Recorded> batch) {
    UUID[] ids = new UUID[batch.size()];
    Integer[] eventIds = new Integer[batch.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = batch.get(i).jobId();
      eventIds[i] = batch.get(i).eventId();
    }
    return pool.preparedQuery(RECORD)
        .execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfInteger(eventIds))
        .map(rows -> Collections.nCopies(ids.length, (Void) null));
  }

  /**
   * Announces the end of a job that has ended and not been announced; does nothing otherwise.
   * Answers the terminal event's id, or 0 when there was nothing to announce. Fails when Redis or
   * PostgreSQL does: the sweep tries again.
   */
  public Uni<Long> announce(UUID jobId) {
    return pool.preparedQuery(LOAD)
        .execute(Tuple.of(jobId))
        .chain(rows -> {
          if (rows.size() == 0) {
            return Uni.createFrom().item(0L);
          }
          JobRow job = JobRow.from(rows.iterator().next());
          if (!job.isTerminal() || job.terminalEventId() != null) {
            return Uni.createFrom().item(0L);
          }
          return announce(job.view(), job.version());
        });
  }

  /**
   * Announces the end of a job the caller has just written terminal, as it wrote it ({@code job} at
   * {@code version}), without reading it back: nothing else can have announced it yet.
   */
  public Uni<Long> announce(JobView job, int version) {
    return events.append(job.id(), JobEvent.DONE, version, job.json()).chain(id -> record(job, id));
  }

  /** Announces without failing: a failure is left to the sweep. */
  public void announceLater(UUID jobId) {
    settle(jobId, announce(jobId));
  }

  /** {@link #announce(JobView, int)} without failing: a failure is left to the sweep. */
  public void announceLater(JobView job, int version) {
    settle(job.id(), announce(job, version));
  }

  private static void settle(UUID jobId, Uni<Long> announcement) {
    announcement
        .subscribe()
        .with(
            ignored -> {},
            failure ->
                Log.debugf(
                    "Job(id=%s) end not announced yet (%s); the sweep will",
                    jobId, failure.getMessage()));
  }

  private Uni<Long> record(JobView job, long id) {
    if (id <= 0) {
      return Uni.createFrom().failure(new IllegalStateException("done event refused: " + id));
    }
    return records
        .submit(new Recorded(job.id(), (int) id))
        .call(() ->
            job.webhookUrl() == null
                ? Uni.createFrom().voidItem()
                : redis
                    .pubsub(String.class)
                    .publish(JobNotices.WEBHOOKS_DUE, job.id().toString())
                    .onFailure()
                    .recoverWithNull())
        .replaceWith(id);
  }

  /** Announces jobs that ended more than {@code llmq.events.announce-grace} ago, unannounced. */
  @Scheduled(
      every = "${llmq.events.announce-sweep-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> sweep() {
    return pool.preparedQuery(OVERDUE)
        .execute(Tuple.of(grace.toMillis() / 1000.0))
        .onItem()
        .transformToMulti(rows -> Multi.createFrom().iterable(rows))
        .onItem()
        .transformToUniAndConcatenate(row -> announce(row.getUUID("id")))
        .collect()
        .last()
        .replaceWithVoid()
        .ifNoItem()
        .after(SWEEP_TIMEOUT)
        .fail()
        .onFailure()
        .recoverWithUni(failure -> {
          Log.debugf("Announcement sweep failed, will retry: %s", failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }
}
