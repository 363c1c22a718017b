package io.llmq.worker.execution;

import io.llmq.common.failure.Outages;
import io.llmq.common.job.JobTransitions;
import io.llmq.worker.budget.AttemptLedger;
import io.llmq.worker.config.WorkerConfig;
import io.llmq.worker.events.JobProgress;
import io.llmq.worker.governor.GovernorConfig;
import io.llmq.worker.slots.TenantSlots;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * Takes back jobs whose worker died: a running job whose lease lapsed goes back to queued, with an
 * outbox row in the same statement ({@link JobTransitions#reap}), so it is published and run again.
 * Then it settles the attempts no live worker runs any more ({@link AttemptLedger#settleLost}), so
 * their reservations never stay held, and hands the concurrent slots that lapsed to parked jobs
 * ({@link TenantSlots}). Every worker replica runs this; {@code SKIP LOCKED} and the status
 * condition keep them from taking one job twice.
 */
@ApplicationScoped
class LeaseReaper {

  private final Pool pool;
  private final JobProgress progress;
  private final AttemptLedger ledger;
  private final TenantSlots slots;
  private final Duration grace;
  private final Duration slotHold;

  LeaseReaper(
      Pool pool,
      JobProgress progress,
      AttemptLedger ledger,
      TenantSlots slots,
      WorkerConfig config,
      GovernorConfig governor) {
    this.pool = pool;
    this.progress = progress;
    this.ledger = ledger;
    this.slots = slots;
    this.grace = config.leaseDuration();
    this.slotHold = governor.maxHold().plus(config.leaseDuration());
  }

  @Scheduled(
      every = "${llmq.worker.reap-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> reap() {
    return JobTransitions.reap(pool)
        .invoke(jobs ->
            jobs.forEach(job -> {
              Log.warnf("Job(id=%s) lease lapsed: its worker died; queued again", job);
              progress.changed(job);
            }))
        .chain(() -> ledger.settleLost(grace))
        .chain(() -> slots.handOverLapsed(slotHold))
        .replaceWithVoid()
        .onFailure()
        .recoverWithUni(failure -> {
          if (Outages.isClosing(failure)) {
            Log.debug("Lease reaper ended by the stop");
          } else {
            Log.warnf("Lease reaper failed, will retry: %s", failure.getMessage());
          }
          return Uni.createFrom().voidItem();
        });
  }
}
