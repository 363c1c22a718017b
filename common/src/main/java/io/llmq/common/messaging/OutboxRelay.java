package io.llmq.common.messaging;

import io.llmq.common.failure.Outages;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The transactional outbox of job messages. A row is written in the same transaction as the change
 * that needs a message; it is deleted only after the broker confirmed the message. Publication
 * normally happens right after the commit ({@link #relay}); the periodic {@link #sweep} is the
 * safety net for rows whose fast path failed or whose process died.
 *
 * <p>A row is leased by pushing its {@code available_at} forward, so a sweep never races a fast
 * path or another replica's sweep for the same row; if both did publish, the consumer is
 * idempotent.
 *
 * <p>The sweep publishes each row in its job's trace, read from the job ({@code
 * jobs.trace_context}): a job requeued by a retry or by the reaper goes on in the trace its submit
 * began.
 */
@ApplicationScoped
public class OutboxRelay {

  private static final String INSERT =
      "INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING id";
  private static final String LEASE_DUE =
      "UPDATE job_outbox SET available_at = now() + make_interval(secs => $1),"
          + " attempts = attempts + 1 WHERE id IN (SELECT id FROM job_outbox"
          + " WHERE available_at <= now() ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED)"
          + " RETURNING id, job_id, tenant_id,"
          + " (SELECT trace_context FROM jobs WHERE jobs.id = job_outbox.job_id) AS trace_context";

  /** A sweep that takes longer is abandoned, so the next one is never skipped for good. */
  private static final Duration SWEEP_TIMEOUT = Duration.ofSeconds(30);

  private final Pool pool;
  private final OutboxDeletes deletes;
  private final JobPublisher publisher;
  private final Duration fastPathLease;
  private final Duration sweepLease;
  private final int sweepBatch;

  OutboxRelay(
      Pool pool,
      JobPublisher publisher,
      @ConfigProperty(name = "llmq.outbox.fast-path-lease") Duration fastPathLease,
      @ConfigProperty(name = "llmq.outbox.sweep-lease") Duration sweepLease,
      @ConfigProperty(name = "llmq.outbox.sweep-batch") int sweepBatch) {
    this.pool = pool;
    this.deletes = new OutboxDeletes(pool);
    this.publisher = publisher;
    this.fastPathLease = fastPathLease;
    this.sweepLease = sweepLease;
    this.sweepBatch = sweepBatch;
  }

  /**
   * A statement that runs {@code insertReturning}, an {@code INSERT … RETURNING} of job rows with
   * their {@code id} and {@code tenant_id}, and adds each inserted job's message to the outbox. One
   * statement is atomic on its own, so a submit needs no transaction (nor its round trips) for the
   * two. The rows stay invisible to sweeps for the fast-path lease, so {@link #relay} after the
   * statement normally publishes each alone. It answers the inserted rows with their outbox row's
   * id as {@code outbox_id}; nothing when the insert inserted nothing.
   */
  public String addingTo(String insertReturning) {
    return "WITH job AS ("
        + insertReturning
        + "), message AS (INSERT INTO job_outbox (job_id, tenant_id, available_at)"
        + " SELECT id, tenant_id, now() + make_interval(secs => "
        + seconds(fastPathLease)
        + ") FROM job RETURNING id, job_id)"
        + " SELECT job.*, message.id AS outbox_id FROM job JOIN message ON message.job_id = job.id";
  }

  /**
   * Adds a message that the sweep publishes once {@code delay} has passed: a retry that must wait
   * its backoff.
   */
  public Uni<Long> add(SqlClient tx, JobMessage message, Duration delay) {
    return tx.preparedQuery(INSERT)
        .execute(Tuple.of(message.jobId(), message.tenantId(), seconds(delay)))
        .map(rows -> rows.iterator().next().getLong("id"));
  }

  /**
   * Publishes a committed outbox row now and deletes it once confirmed (with the other rows
   * confirmed meanwhile: {@link OutboxDeletes}). Never fails: a message that cannot be published
   * stays in the outbox for the sweep.
   */
  public Uni<Void> relay(long outboxId, JobMessage message) {
    return relay(outboxId, message, null);
  }

  /**
   * {@link #relay(long, JobMessage)} in the job's trace: {@code traceContext} is its stored trace
   * context ({@code jobs.trace_context}), null for none.
   */
  public Uni<Void> relay(long outboxId, JobMessage message, String traceContext) {
    return publisher
        .publish(message, traceContext)
        .chain(() -> deletes.delete(outboxId))
        .onFailure()
        .recoverWithUni(failure -> {
          Log.debugf(
              "Job(id=%s) left in the outbox for the sweep: %s",
              message.jobId(), failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }

  /** Publishes every due outbox row: rows whose fast path failed, or that a process left behind. */
  @Scheduled(
      every = "${llmq.outbox.sweep-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> sweep() {
    return pool.preparedQuery(LEASE_DUE)
        .execute(Tuple.of(seconds(sweepLease), sweepBatch))
        .onItem()
        .transformToMulti(rows -> Multi.createFrom().iterable(rows))
        .onItem()
        .transformToUniAndMerge(this::relayRow)
        .collect()
        .last()
        .replaceWithVoid()
        .ifNoItem()
        .after(SWEEP_TIMEOUT)
        .fail()
        .onFailure()
        .recoverWithUni(failure -> {
          if (Outages.isClosing(failure)) {
            Log.debug("Outbox sweep ended by the stop");
          } else {
            Log.warnf("Outbox sweep failed, will retry: %s", failure.getMessage());
          }
          return Uni.createFrom().voidItem();
        });
  }

  private Uni<Void> relayRow(Row row) {
    UUID jobId = row.getUUID("job_id");
    UUID tenantId = row.getUUID("tenant_id");
    return relay(row.getLong("id"), JobMessage.of(jobId, tenantId), row.getString("trace_context"));
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }
}
