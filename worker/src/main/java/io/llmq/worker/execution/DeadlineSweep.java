package io.llmq.worker.execution;

import io.llmq.common.failure.Outages;
import io.llmq.common.job.JobTransitions;
import io.llmq.common.job.JobTransitions.Expired;
import io.llmq.common.messaging.JobNotices;
import io.llmq.worker.config.WorkerConfig;
import io.llmq.worker.events.JobProgress;
import io.llmq.worker.governor.GovernorConfig;
import io.llmq.worker.slots.TenantSlots;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.pubsub.ReactivePubSubCommands;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Expires queued jobs whose deadline passed before they started, without waiting for a message to
 * bring them to a worker: a job parked for one of its tenant's slots, put back for capacity (its
 * message due later), or held by a worker waiting for the governor ends {@code expired} within
 * {@code llmq.worker.deadline-sweep} of its deadline ({@link JobTransitions#expireOverdue}). Each
 * end is announced as a worker's own expiry is: the {@code done} event (which the webhook, written
 * by the V3 trigger with the status, is named after), the {@code FINISHED} notice for waiting
 * requests, and its tenant's freed slot handed on. A worker still waiting for the job's capacity is
 * told to let go ({@link JobNotices#CANCELLED}), so its reservation goes back at once; a message
 * that arrives later finds the job ended and is dropped.
 *
 * <p>Every worker replica runs the sweep; {@code SKIP LOCKED} and the status condition keep them
 * from expiring one job twice. A full batch is followed at once by the next, up to {@link
 * #MAX_BATCHES} per tick.
 */
@ApplicationScoped
class DeadlineSweep {

  /** Batches one tick expires at most, so that a tick always ends; the next takes the rest. */
  static final int MAX_BATCHES = 20;

  private final Pool pool;
  private final JobProgress progress;
  private final TenantSlots slots;
  private final ReactivePubSubCommands<String> notices;
  private final MeterRegistry metrics;
  private final Duration slotHold;

  DeadlineSweep(
      Pool pool,
      JobProgress progress,
      TenantSlots slots,
      ReactiveRedisDataSource redis,
      MeterRegistry metrics,
      WorkerConfig config,
      GovernorConfig governor) {
    this.pool = pool;
    this.progress = progress;
    this.slots = slots;
    this.notices = redis.pubsub(String.class);
    this.metrics = metrics;
    this.slotHold = governor.maxHold().plus(config.leaseDuration());
  }

  @Scheduled(
      every = "${llmq.worker.deadline-sweep}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> sweep() {
    return batches(1)
        .onFailure()
        .recoverWithUni(failure -> {
          if (Outages.isClosing(failure)) {
            Log.debug("Deadline sweep ended by the stop");
          } else {
            Log.warnf("Deadline sweep failed, will retry: %s", failure.getMessage());
          }
          return Uni.createFrom().voidItem();
        });
  }

  /** Expires one batch, and the next while batches come back full. */
  private Uni<Void> batches(int batch) {
    return JobTransitions.expireOverdue(pool)
        .call(this::announce)
        .chain(expired ->
            expired.size() == JobTransitions.SWEEP_BATCH && batch < MAX_BATCHES
                ? batches(batch + 1)
                : Uni.createFrom().voidItem());
  }

  /**
   * Announces each end, one after the other (a big batch must not flood the pool; an announcement
   * that fails is left to the announcement sweep), then hands on the slots the expired jobs held,
   * tenant by tenant.
   */
  private Uni<Void> announce(List<Expired> expired) {
    Uni<Void> announced =
        Multi.createFrom()
            .iterable(expired)
            .onItem()
            .transformToUniAndConcatenate(job -> {
              Log.infof("Job(id=%s) expired: its deadline passed before it started", job.id());
              metrics.counter("llmq.jobs.finished", "outcome", "expired").increment();
              notify(JobNotices.CANCELLED, job.id());
              return progress
                  .endedNow(job.id())
                  .onFailure()
                  .recoverWithItem(0L)
                  .invoke(() -> notify(JobNotices.FINISHED, job.id()));
            })
            .collect()
            .last()
            .replaceWithVoid();
    return announced.chain(() ->
        Multi.createFrom()
            .iterable(expired.stream().map(Expired::tenantId).distinct().toList())
            .onItem()
            .transformToUniAndConcatenate(tenant -> slots.handOver(tenant, slotHold))
            .collect()
            .last()
            .replaceWithVoid());
  }

  private void notify(String channel, UUID jobId) {
    notices
        .publish(channel, jobId.toString())
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Job(id=%s) notice not sent", jobId));
  }
}
