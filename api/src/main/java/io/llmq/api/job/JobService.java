package io.llmq.api.job;

import io.llmq.api.config.ApiConfig;
import io.llmq.api.http.Cursor;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.events.Announcer;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.messaging.JobMessage;
import io.llmq.common.messaging.JobNotices;
import io.llmq.common.messaging.OutboxRelay;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.telemetry.TraceContexts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.pubsub.ReactivePubSubCommands;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Submits and cancels jobs. A submission writes the job and its outbox row in one statement, so a
 * 202 always means a message will reach the queue; the message is published right after, and the
 * outbox sweep covers a publish that fails. A submission the cache answers is written already
 * succeeded instead, with no message (see {@link SubmitCache}).
 */
@ApplicationScoped
class JobService {

  /** Attempts at a version-checked update before giving up on a job that keeps changing. */
  private static final int CANCEL_TRIES = 3;

  private final JobRepository jobs;
  private final SubmitCache cache;
  private final ModelCatalog models;
  private final OutboxRelay outbox;
  private final JobWaiter waiter;
  private final EventLog events;
  private final Announcer announcer;
  private final ReactivePubSubCommands<String> notices;
  private final ApiConfig config;
  private final MeterRegistry metrics;
  private final TraceContexts traces;

  JobService(
      JobRepository jobs,
      SubmitCache cache,
      ModelCatalog models,
      OutboxRelay outbox,
      JobWaiter waiter,
      EventLog events,
      Announcer announcer,
      ReactiveRedisDataSource redis,
      ApiConfig config,
      MeterRegistry metrics,
      TraceContexts traces) {
    this.traces = traces;
    this.jobs = jobs;
    this.cache = cache;
    this.models = models;
    this.outbox = outbox;
    this.waiter = waiter;
    this.events = events;
    this.announcer = announcer;
    this.notices = redis.pubsub(String.class);
    this.config = config;
    this.metrics = metrics;
  }

  /**
   * The outcome of a submission: the job, and whether it is new or an idempotent replay.
   *
   * @param json the job's view as rendered for its first {@code status} event ({@link
   *     io.llmq.common.job.JobView#json()}, which writes it as the api's mapper does), so the 202
   *     answers with the same text instead of serializing the view a second time; null when none
   *     was rendered (a replay, a job answered from the cache)
   */
  record Submitted(JobRow job, boolean replay, String json) {

    Submitted(JobRow job, boolean replay) {
      this(job, replay, null);
    }
  }

  /**
   * {@code llmq.jobs.submitted} by model, looked up once per model instead of by name and tags at
   * every submit.
   */
  private final Map<String, Counter> submitted = new ConcurrentHashMap<>();

  private Counter submittedCounter(String model) {
    return metrics.counter("llmq.jobs.submitted", "model", model);
  }

  /**
   * Stores a new job. A job that the cache answers ({@link SubmitCache}) is stored already
   * succeeded, with no outbox row, and its end is announced right after (SSE {@code done}; the
   * webhook delivery row is the trigger's); any other is stored queued with its outbox row. Either
   * way one statement writes it, so a submit without an idempotency key needs no transaction; one
   * with a key first frees the key if its window has passed, in one transaction with the insert,
   * which claims the key: a replay returns the same job. A queued job without a key is written
   * together with the other submits of the moment ({@link GroupCommit}), still answered only once
   * its own row is committed.
   */
  Uni<Submitted> submit(NewJob parsed) {
    NewJob job = parsed.traced(traces.current());
    return cache
        .lookup(job)
        .chain(answer ->
            job.idempotencyKey() != null
                ? storeWithKey(job, answer)
                : answer.isPresent()
                    ? store(jobs.pool(), job, answer)
                    : jobs.insertGrouped(job).map(Optional::of))
        .chain(stored -> {
          if (stored.isEmpty()) {
            return replayOf(job);
          }
          JobRow created = stored.get().job();
          String json = null;
          if (stored.get().outboxId() == null) {
            announceAnswered(created);
          } else {
            publish(stored.get().outboxId(), created, job.traceContext());
            json = created.view().json();
            firstEvent(created, json);
          }
          submitted.computeIfAbsent(job.model(), this::submittedCounter).increment();
          if (job.trimmedMessages() > 0) {
            metrics.counter("llmq.guardrails.trimmed", "model", job.model()).increment();
          }
          return Uni.createFrom().item(new Submitted(created, false, json));
        });
  }

  /** Frees the job's idempotency key if its window has passed, then stores the job. */
  private Uni<Optional<JobRepository.Inserted>> storeWithKey(
      NewJob job, Optional<CachedAnswer> answer) {
    return jobs.pool()
        .withTransaction(tx ->
            jobs.releaseExpiredKey(
                    tx, job.tenantId(), job.idempotencyKey(), config.idempotencyWindow())
                .chain(() -> store(tx, job, answer)));
  }

  private Uni<Optional<JobRepository.Inserted>> store(
      SqlClient client, NewJob job, Optional<CachedAnswer> answer) {
    return answer.isPresent()
        ? jobs.insertAnswered(client, job, answer.get(), savedBy(job, answer.get()))
        : jobs.insert(client, job);
  }

  /**
   * What the call that produced {@code answer} would cost now: the job's {@code cost_saved_usd}.
   */
  private BigDecimal savedBy(NewJob job, CachedAnswer answer) {
    if (answer.simulated()) {
      return BigDecimal.ZERO;
    }
    return models.costOf(
        job.model(),
        answer.promptTokens(),
        answer.cachedPromptTokens(),
        answer.cacheWriteTokens(),
        answer.completionTokens());
  }

  /**
   * A job answered at submit has ended: appends its {@code done} event, which also tells webhook
   * senders. Best effort: the announcement sweep covers a failure. No long-poll can be waiting for
   * it: its id is not out yet.
   */
  private void announceAnswered(JobRow job) {
    metrics.counter("llmq.cache.hits").increment();
    announcer.announceLater(job.view(), job.version());
  }

  private void publish(long outboxId, JobRow job, String traceContext) {
    outbox
        .relay(outboxId, JobMessage.of(job.id(), job.tenantId()), traceContext)
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Job(id=%s) publish deferred", job.id()));
  }

  /**
   * The job's first progress event, {@code status} queued, so a stream opened right after the
   * submit starts with the job. Best effort: a lost one only means the stream starts later.
   */
  private void firstEvent(JobRow job, String json) {
    events
        .append(job.id(), JobEvent.STATUS, job.version(), json)
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Job(id=%s) first event not written", job.id()));
  }

  private Uni<Submitted> replayOf(NewJob job) {
    return jobs.findByKey(jobs.pool(), job.tenantId(), job.idempotencyKey())
        .map(existing ->
            replayed(
                job,
                existing.orElseThrow(() ->
                    ProblemException.conflict(
                        "This Idempotency-Key is being reused right now; retry."))));
  }

  /**
   * A submit refused now (its {@code webhook_url} by the guard, or by its budget): still an
   * idempotent replay when its key names a job made within the window (the URL passed then, its DNS
   * may have moved since; the budget was not used up then), and the refusal otherwise. Only a
   * refused submit pays for this lookup.
   */
  Uni<Submitted> replayOrRefuse(NewJob job, Throwable refusal) {
    if (job.idempotencyKey() == null) {
      return Uni.createFrom().failure(refusal);
    }
    OffsetDateTime windowStart = OffsetDateTime.now().minus(config.idempotencyWindow());
    return jobs.findByKey(jobs.pool(), job.tenantId(), job.idempotencyKey())
        .chain(existing ->
            existing
                .filter(found -> found.createdAt().isAfter(windowStart))
                .map(found -> Uni.createFrom().item(replayed(job, found)))
                .orElseGet(() -> Uni.createFrom().failure(refusal)));
  }

  private static Submitted replayed(NewJob job, JobRow found) {
    if (!found.idempotencyHash().equals(job.bodyHash())) {
      throw ProblemException.conflict("This Idempotency-Key was used with a different body.");
    }
    return new Submitted(found, true);
  }

  Uni<List<JobRow>> page(UUID tenantId, JobStatus status, Cursor after, int limit) {
    return jobs.page(tenantId, status, after, limit);
  }

  Uni<JobRow> get(UUID tenantId, UUID jobId, Duration wait) {
    return waiter.await(tenantId, jobId, wait).map(JobService::orNotFound);
  }

  /**
   * Cancels a queued or running job, and tells every worker at once: the one running the job aborts
   * the upstream call, accounts the tokens used so far and then announces the end (with the final
   * usage); one holding a queued job while it waits for capacity lets it go. A queued job's end is
   * announced here. Should the worker never report, the announcement sweep ends the stream and
   * sends the webhook after {@code llmq.events.announce-grace}.
   */
  Uni<JobRow> cancel(UUID tenantId, UUID jobId) {
    return cancel(tenantId, jobId, CANCEL_TRIES);
  }

  private Uni<JobRow> cancel(UUID tenantId, UUID jobId, int triesLeft) {
    return jobs.find(tenantId, jobId)
        .map(JobService::orNotFound)
        .chain(job -> {
          if (!job.status().canBecome(JobStatus.CANCELLED)) {
            throw ProblemException.conflict("The job is already " + job.status().wire() + ".");
          }
          return jobs.cancel(job)
              .chain(done -> {
                if (done.isPresent()) {
                  waiter.announce(jobId);
                  notices
                      .publish(JobNotices.CANCELLED, jobId.toString())
                      .subscribe()
                      .with(
                          ignored -> {},
                          failure -> Log.debugf("Job(id=%s) cancel notice not sent", jobId));
                  if (job.status() == JobStatus.QUEUED) {
                    announcer.announceLater(jobId);
                  }
                  handOverSlots(tenantId);
                  return Uni.createFrom().item(done.get());
                }
                if (triesLeft <= 1) {
                  throw ProblemException.conflict("The job changed while cancelling; retry.");
                }
                return cancel(tenantId, jobId, triesLeft - 1);
              });
        });
  }

  /**
   * A cancelled job gave back its tenant's concurrent slot, if it held one (a trigger does that in
   * the cancel's transaction): its parked successor gets it, and its message goes out now. Best
   * effort: every worker's reaper hands lapsed and free slots on too.
   */
  private void handOverSlots(UUID tenantId) {
    jobs.handOverSlots(tenantId)
        .onItem()
        .transformToMulti(handed -> Multi.createFrom().iterable(handed))
        .onItem()
        .transformToUniAndMerge(handed ->
            outbox.relay(
                handed.outboxId(), JobMessage.of(handed.jobId(), tenantId), handed.traceContext()))
        .collect()
        .last()
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Slots of %s not handed on now", tenantId));
  }

  private static JobRow orNotFound(Optional<JobRow> job) {
    return job.orElseThrow(() -> ProblemException.notFound("No job with this id."));
  }
}
