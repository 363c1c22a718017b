package io.llmq.api.job;

import io.llmq.common.job.JobRow;
import io.llmq.common.messaging.JobNotices;
import io.llmq.common.messaging.StandingSubscription;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Holds requests that wait for a job to end ({@code Prefer: wait}, {@code wait_seconds}). Workers
 * ring a Redis doorbell when a job ends; the waiters re-read the job then. A periodic re-read of
 * all waited-on jobs covers notices lost while Redis was away.
 */
@ApplicationScoped
class JobWaiter {

  private final JobRepository jobs;
  private final ReactiveRedisDataSource redis;
  private final Map<UUID, Set<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();
  private volatile boolean stopping;

  JobWaiter(JobRepository jobs, ReactiveRedisDataSource redis) {
    this.jobs = jobs;
    this.redis = redis;
  }

  void listen(@Observes StartupEvent start) {
    StandingSubscription.open(redis, JobNotices.FINISHED, this::wakeText);
  }

  /**
   * The job once it is terminal, or as it is after {@code timeout}. Empty when the tenant has no
   * such job.
   */
  Uni<Optional<JobRow>> await(UUID tenantId, UUID jobId, Duration timeout) {
    if (timeout.isZero() || stopping) {
      return jobs.find(tenantId, jobId);
    }
    CompletableFuture<Void> doorbell = new CompletableFuture<>();
    waiting.computeIfAbsent(jobId, id -> ConcurrentHashMap.newKeySet()).add(doorbell);
    // Registered before the read, so an end between the read and the wait still rings.
    return jobs.find(tenantId, jobId)
        .chain(job -> {
          if (job.isEmpty() || job.get().isTerminal()) {
            return Uni.createFrom().item(job);
          }
          return Uni.createFrom()
              .completionStage(doorbell)
              .ifNoItem()
              .after(timeout)
              .recoverWithItem((Void) null)
              .chain(() -> jobs.find(tenantId, jobId));
        })
        .eventually(() -> forget(jobId, doorbell));
  }

  /**
   * The api begins to stop: every waiting request is answered now, with the job as it is, instead
   * of holding the stop for up to a minute (SPEC allows an answer before the wait is over).
   */
  void stop(@Observes ShutdownDelayInitiatedEvent event) {
    stopping = true;
    waiting.values().forEach(doorbells -> doorbells.forEach(doorbell -> doorbell.complete(null)));
  }

  @Scheduled(
      every = "${llmq.api.wait-recheck-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> recheck() {
    if (waiting.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<UUID> ids = List.copyOf(waiting.keySet());
    return jobs.terminalAmong(ids)
        .invoke(done -> done.forEach(this::wake))
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull();
  }

  /** Tells every api replica that a job ended here (a cancel). Best effort, like all notices. */
  void announce(UUID jobId) {
    wake(jobId);
    redis
        .pubsub(String.class)
        .publish(JobNotices.FINISHED, jobId.toString())
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Job(id=%s) notice not sent", jobId));
  }

  private void wakeText(String jobId) {
    try {
      wake(UUID.fromString(jobId));
    } catch (IllegalArgumentException ignored) {
      // not a job id: not ours to act on
    }
  }

  private void wake(UUID jobId) {
    Set<CompletableFuture<Void>> doorbells = waiting.get(jobId);
    if (doorbells != null) {
      doorbells.forEach(doorbell -> doorbell.complete(null));
    }
  }

  private void forget(UUID jobId, CompletableFuture<Void> doorbell) {
    waiting.computeIfPresent(
        jobId,
        (id, doorbells) -> {
          doorbells.remove(doorbell);
          return doorbells.isEmpty() ? null : doorbells;
        });
  }
}
