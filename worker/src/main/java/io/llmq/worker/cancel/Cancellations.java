package io.llmq.worker.cancel;

import io.llmq.common.messaging.JobNotices;
import io.llmq.common.messaging.StandingSubscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets a worker drop a job the moment a tenant cancels it: the api publishes each cancel on {@link
 * JobNotices#CANCELLED}, every worker listens with one subscription, and the one that holds the job
 * (running it, or waiting for capacity before running it) completes the job's watch, which aborts
 * the call or ends the wait. The deadline sweep publishes there too when it expires a queued job
 * that a worker may hold waiting for capacity. A lost notice (Redis away) leaves the lease
 * heartbeat to notice the cancel, later, and the refused claim at the end of a wait the expiry.
 */
@ApplicationScoped
public class Cancellations {

  private final ReactiveRedisDataSource redis;
  private final Counter notices;

  /** Every message of a job on this worker has its own watch; a cancel completes them all. */
  private final Map<UUID, Set<CompletableFuture<Void>>> watched = new ConcurrentHashMap<>();

  Cancellations(ReactiveRedisDataSource redis, MeterRegistry metrics) {
    this.redis = redis;
    this.notices = metrics.counter("llmq.jobs.cancel.notices");
  }

  void listen(@Observes StartupEvent start) {
    StandingSubscription.open(redis, JobNotices.CANCELLED, this::cancelled);
  }

  /**
   * Watches the job while this worker holds it: the future completes when the job is cancelled.
   * Others may complete it too (a heartbeat that finds the job gone); {@link #forget} it after.
   */
  public CompletableFuture<Void> watch(UUID jobId) {
    CompletableFuture<Void> cancelled = new CompletableFuture<>();
    watched.compute(
        jobId,
        (id, watches) -> {
          Set<CompletableFuture<Void>> all =
              watches == null ? ConcurrentHashMap.newKeySet() : watches;
          all.add(cancelled);
          return all;
        });
    return cancelled;
  }

  public void forget(UUID jobId, CompletableFuture<Void> cancelled) {
    watched.computeIfPresent(
        jobId,
        (id, watches) -> {
          watches.remove(cancelled);
          return watches.isEmpty() ? null : watches;
        });
  }

  /** Waits {@code delay}, or less when {@code cancelled} completes first. */
  public Uni<Void> waitUnless(CompletableFuture<Void> cancelled, Duration delay) {
    if (delay.isZero() || delay.isNegative() || cancelled.isDone()) {
      return Uni.createFrom().voidItem();
    }
    Uni<Void> timer = Uni.createFrom().voidItem().onItem().delayIt().by(delay);
    return Uni.combine()
        .any()
        // A copy: when the timer wins, the combination cancels the loser, and that must not cancel
        // the watch itself, which the call then runs under.
        .of(timer, Uni.createFrom().completionStage(cancelled.copy()))
        .replaceWithVoid();
  }

  private void cancelled(String jobId) {
    try {
      Set<CompletableFuture<Void>> watches = watched.get(UUID.fromString(jobId));
      if (watches != null) {
        Log.infof("Job(id=%s) ended elsewhere (cancelled or expired); letting go of it", jobId);
        notices.increment();
        watches.forEach(watch -> watch.complete(null));
      }
    } catch (IllegalArgumentException ignored) {
      // not a job id: not ours to act on
    }
  }
}
