package io.llmq.worker.governor;

import io.llmq.common.failure.Outages;
import io.llmq.common.job.JobStatus;
import io.llmq.common.messaging.JobMessage;
import io.llmq.common.messaging.OutboxRelay;
import io.llmq.worker.events.JobProgress;
import io.llmq.worker.provider.Providers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Releases calls from the governor's {@link WaitingRoom}: for each governed provider, a loop that
 * asks the room for the next call in fair order that fits now and sends its job a new message (a
 * committed outbox row, published at once), whose consumer collects the granted capacity. Every
 * replica runs the loops; Redis serialises their grants. Between grants a loop sleeps until the
 * room says the next call could fit, at most {@link #LONGEST_SLEEP} (a refund or a new arrival may
 * make it sooner), so waiting calls start as the provider's buckets refill, one at a time.
 */
@ApplicationScoped
public class RoomDispatcher {

  /** Longest sleep between two looks at a room. */
  static final long LONGEST_SLEEP = 250;

  /** How far a waiting job's estimated start may move before it is told with an event. */
  static final Duration ESTIMATE_MOVES = Duration.ofSeconds(5);

  /** Pause after Redis or PostgreSQL failed to answer. */
  private static final long OUTAGE_SLEEP = 1000;

  private static final String DISPATCH =
      "INSERT INTO job_outbox (job_id, tenant_id, available_at)"
          + " SELECT id, tenant_id, now() + make_interval(secs => $2) FROM jobs"
          + " WHERE id = $1 AND status = "
          + JobStatus.QUEUED.sql()
          + " RETURNING id, job_id, tenant_id,"
          + " (SELECT trace_context FROM jobs WHERE jobs.id = job_outbox.job_id) AS trace_context";

  private final WaitingRoom room;
  private final ReactiveRedisDataSource redis;
  private final JobProgress progress;
  private final Providers providers;
  private final GovernorConfig config;
  private final Pool pool;
  private final OutboxRelay outbox;
  private final Vertx vertx;
  private final Counter granted;
  private final MeterRegistry metrics;
  private final Map<String, Timer> waits = new ConcurrentHashMap<>();
  private final double fastPathLeaseSeconds;
  private volatile boolean stopped;

  RoomDispatcher(
      WaitingRoom room,
      ReactiveRedisDataSource redis,
      JobProgress progress,
      Providers providers,
      GovernorConfig config,
      Pool pool,
      OutboxRelay outbox,
      Vertx vertx,
      MeterRegistry metrics,
      @ConfigProperty(name = "llmq.outbox.fast-path-lease") Duration fastPathLease) {
    this.room = room;
    this.redis = redis;
    this.progress = progress;
    this.providers = providers;
    this.config = config;
    this.pool = pool;
    this.outbox = outbox;
    this.vertx = vertx;
    this.granted = metrics.counter("llmq.governor.room.grants");
    this.metrics = metrics;
    this.fastPathLeaseSeconds = fastPathLease.toMillis() / 1000.0;
  }

  void start(@Observes StartupEvent event) {
    if (!config.enabled()) {
      return;
    }
    for (String provider : providers.governed()) {
      Log.debugf("Waiting room of %s: dispatching", provider);
      next(provider);
    }
  }

  /**
   * Tells waiting jobs whose estimated start moved by more than {@link #ESTIMATE_MOVES}, with a
   * {@code status} event each; one replica at a time does it (a lock in Redis).
   */
  @Scheduled(every = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> tellMoves() {
    if (stopped || !config.enabled()) {
      return Uni.createFrom().voidItem();
    }
    return redis
        .value(String.class)
        .setnx(WaitingRoom.PREFIX + "watch", "1")
        .chain(mine -> {
          if (!mine) {
            return Uni.createFrom().voidItem();
          }
          return redis
              .key()
              .pexpire(WaitingRoom.PREFIX + "watch", 1900)
              .chain(() ->
                  Multi.createFrom()
                      .iterable(providers.governed())
                      .onItem()
                      .transformToUniAndConcatenate(
                          provider -> room.moved(provider, ESTIMATE_MOVES))
                      .onItem()
                      .transformToMultiAndConcatenate(jobs -> Multi.createFrom().iterable(jobs))
                      .onItem()
                      .transformToUniAndMerge(progress::queued)
                      .collect()
                      .last()
                      .replaceWithVoid());
        })
        .onFailure()
        .recoverWithUni(failure -> {
          Log.debugf("Queue estimates not told: %s", failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }

  void stop(@Observes @Priority(0) ShutdownEvent event) {
    stopped = true;
  }

  private void next(String provider) {
    if (stopped) {
      return;
    }
    room.take(provider)
        .chain(grant -> {
          if (grant.jobId().isEmpty()) {
            return Uni.createFrom()
                .item(grant.empty() ? LONGEST_SLEEP : Math.min(grant.waitMs(), LONGEST_SLEEP));
          }
          if (grant.waitedMs() >= 0) {
            waits
                .computeIfAbsent(provider, name -> CallCapacity.waitTimer(metrics, name))
                .record(Duration.ofMillis(grant.waitedMs()));
          }
          return dispatch(provider, grant.jobId().get()).replaceWith(0L);
        })
        .subscribe()
        .with(
            sleep -> after(provider, sleep),
            failure -> {
              if (!Outages.isClosing(failure)) {
                Log.debugf("Waiting room of %s not read: %s", provider, failure.getMessage());
              }
              after(provider, OUTAGE_SLEEP);
            });
  }

  private void after(String provider, long sleep) {
    if (sleep <= 0) {
      vertx.runOnContext(() -> next(provider));
    } else {
      vertx.setTimer(sleep, id -> next(provider));
    }
  }

  /**
   * Sends the granted job its message. A job that is no longer queued (cancelled, expired while it
   * waited) gives its grant back.
   */
  private Uni<Void> dispatch(String provider, UUID jobId) {
    granted.increment();
    return pool.preparedQuery(DISPATCH)
        .execute(Tuple.of(jobId, fastPathLeaseSeconds))
        .chain(rows -> {
          if (rows.rowCount() == 0) {
            Log.debugf("Job(id=%s) left the waiting room: no longer queued", jobId);
            return room.forget(provider, jobId).replaceWithVoid();
          }
          var row = rows.iterator().next();
          Log.debugf("Job(id=%s) granted capacity by the waiting room of %s", jobId, provider);
          return outbox.relay(
              row.getLong("id"),
              JobMessage.of(jobId, row.getUUID("tenant_id")),
              row.getString("trace_context"));
        });
  }
}
