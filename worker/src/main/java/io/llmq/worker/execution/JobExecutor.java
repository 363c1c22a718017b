package io.llmq.worker.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.job.FailureCode;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.messaging.JobMessage;
import io.llmq.common.messaging.JobNotices;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.worker.budget.AttemptLedger;
import io.llmq.worker.budget.BudgetClock;
import io.llmq.worker.budget.CostBound;
import io.llmq.worker.cache.ResultCache;
import io.llmq.worker.cancel.AbortedCalls;
import io.llmq.worker.cancel.Cancellations;
import io.llmq.worker.config.WorkerConfig;
import io.llmq.worker.events.JobProgress;
import io.llmq.worker.events.RunEvents;
import io.llmq.worker.fallback.CircuitBreaker;
import io.llmq.worker.fallback.FallbackRouter;
import io.llmq.worker.governor.CallCapacity;
import io.llmq.worker.governor.CallCapacity.Admission;
import io.llmq.worker.governor.CallSlots;
import io.llmq.worker.governor.GovernorConfig;
import io.llmq.worker.governor.WaitingRoom;
import io.llmq.worker.output.OutputRepairs;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.ProviderMetrics;
import io.llmq.worker.provider.Providers;
import io.llmq.worker.provider.simulated.SimulatedProvider;
import io.llmq.worker.slots.TenantSlots;
import io.llmq.worker.tracing.JobSpans;
import io.llmq.worker.tracing.ProviderSpans;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.pubsub.ReactivePubSubCommands;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.MDC;

/**
 * Runs one job message to its outcome: decide whether the message still means work, answer it from
 * the cache when an identical request was answered or is in flight ({@link ResultCache}), take one
 * of the tenant's concurrent slots or park the job ({@link TenantSlots}), wait for the governor's
 * capacity (the job stays queued), reserve the attempt's worst case against its budgets and claim
 * its lease in one transaction, call the provider with no transaction open, settle the attempt in
 * the ledger ({@link AttemptLedger}) and the capacity, record the result with a version check, and
 * ring the doorbell for waiting clients. Each outcome is a method of its own.
 */
@ApplicationScoped
public class JobExecutor {

  private final JobStore store;
  private final Providers providers;
  private final ModelCatalog models;
  private final RetryPolicy retries;
  private final ReactivePubSubCommands<String> notices;
  private final MeterRegistry metrics;
  private final WorkerIdentity identity;
  private final Duration lease;
  private final Duration heartbeat;
  private final Duration callTimeout;
  private final Counter deltas;
  private final CallCapacity capacity;
  private final ResultCache cache;

  @Inject ProviderMetrics calls;

  /** How soon a job that found no free call slot tries again. */
  private static final Duration SLOT_RETRY = Duration.ofSeconds(1);

  /** How long after its expected start a waiting job's safety message comes, and at most when. */
  private static final Duration ROOM_SAFETY_MARGIN = Duration.ofSeconds(30);

  private static final Duration ROOM_SAFETY_MAX = Duration.ofMinutes(5);

  private final JobProgress progress;
  private final Cancellations cancels;
  private final AbortedCalls aborted;
  private final AttemptLedger ledger;
  private final TenantSlots slots;
  private final BudgetClock clock;
  private final InputScreening screening;
  private final FallbackRouter router;
  private final CircuitBreaker breaker;
  private final OutputRepairs outputs;

  /** How long a job holds its tenant's slot before its claim, which renews it with the lease. */
  private final Duration slotHold;

  /** Completes when the worker starts to stop: no job is claimed after it. */
  private final CompletableFuture<Void> stopping = new CompletableFuture<>();

  /** Completes when the stopping worker's grace is over: calls still running are handed back. */
  private final CompletableFuture<Void> cutting = new CompletableFuture<>();

  private final JobSpans spans;
  private final ProviderSpans providerSpans;

  JobExecutor(
      JobStore store,
      Providers providers,
      CallCapacity capacity,
      ResultCache cache,
      ModelCatalog models,
      RetryPolicy retries,
      ReactiveRedisDataSource redis,
      MeterRegistry metrics,
      WorkerIdentity identity,
      WorkerConfig config,
      JobProgress progress,
      Cancellations cancels,
      AbortedCalls aborted,
      AttemptLedger ledger,
      TenantSlots slots,
      BudgetClock clock,
      GovernorConfig governor,
      InputScreening screening,
      FallbackRouter router,
      CircuitBreaker breaker,
      OutputRepairs outputs,
      JobSpans spans,
      ProviderSpans providerSpans) {
    this.spans = spans;
    this.providerSpans = providerSpans;
    this.store = store;
    this.providers = providers;
    this.capacity = capacity;
    this.cache = cache;
    this.models = models;
    this.retries = retries;
    this.notices = redis.pubsub(String.class);
    this.metrics = metrics;
    this.identity = identity;
    this.lease = config.leaseDuration();
    this.heartbeat = config.heartbeatInterval();
    this.callTimeout = config.callTimeout();

    this.deltas = metrics.counter("llmq.provider.deltas");
    this.progress = progress;
    this.cancels = cancels;
    this.aborted = aborted;
    this.ledger = ledger;
    this.slots = slots;
    this.clock = clock;
    this.slotHold = governor.maxHold().plus(config.leaseDuration());
    this.screening = screening;
    this.router = router;
    this.breaker = breaker;
    this.outputs = outputs;
  }

  /**
   * The worker stops: jobs waiting for admission stop waiting and are handed back unclaimed ({@link
   * Outcome#HAND_BACK}); calls already running go on.
   */
  public void stop() {
    stopping.complete(null);
  }

  /**
   * The stopping worker's grace is over: each call still running is aborted, accounted as an
   * aborted call ({@link AbortedCalls}), and its job handed back to the queue without spending the
   * attempt.
   */
  public void cutCalls() {
    cutting.complete(null);
  }

  /** A running call cut short by {@link #cutCalls}. */
  private static final class HandedBack extends RuntimeException {
    HandedBack() {
      super("handed back", null, false, false);
    }
  }

  /**
   * The job was cancelled or taken back while its call ran: its result is never recorded, only what
   * the aborted call used ({@link AbortedCalls}).
   */
  private static final class LeaseLost extends RuntimeException {
    LeaseLost() {
      super("lease lost", null, false, false);
    }
  }

  public Uni<Outcome> execute(JobMessage message) {
    MDC.put("jobId", message.jobId().toString());
    MDC.put("tenantId", message.tenantId().toString());
    JobLogFields.running(message.jobId(), message.tenantId());
    return store
        .load(message.jobId())
        .chain(this::decide)
        .onFailure()
        .recoverWithItem(failure -> {
          Log.warnf(
              "Job(id=%s) could not be processed, asking for redelivery: %s",
              message.jobId(), failure.getMessage());
          return Outcome.REDELIVER;
        })
        .eventually(() -> {
          MDC.remove("jobId");
          MDC.remove("tenantId");
          JobLogFields.ended(message.jobId());
        });
  }

  /**
   * Whether this worker holds the job's lease: from its claim until its end, the lease guards the
   * job without its message. Before the claim (waiting for a slot or capacity) only the message
   * does.
   */
  public Uni<Boolean> leasedHere(UUID jobId) {
    return store.leasedBy(jobId, identity.id());
  }

  private Uni<Outcome> decide(Optional<StoredJob> found) {
    if (found.isEmpty()) {
      Log.warn("A message named a job that does not exist; dropped");
      return Uni.createFrom().item(Outcome.ACK);
    }
    StoredJob job = found.get();
    if (job.status().isTerminal()) {
      Log.debugf(
          "Job(id=%s) is already %s; duplicate message dropped", job.id(), job.status().wire());
      return leftRoom(job).replaceWith(Outcome.ACK);
    }
    if (job.status() == JobStatus.RUNNING && !job.leaseLapsed()) {
      Log.debugf("Job(id=%s) runs under a live lease elsewhere; message dropped", job.id());
      return leftRoom(job).replaceWith(Outcome.ACK);
    }
    if (job.status() == JobStatus.QUEUED && job.pastDeadline()) {
      return expire(job);
    }
    if (job.attempts() >= job.maxAttempts()) {
      return giveUp(job);
    }
    ObjectNode request = store.request(job);
    if (screening.due(job)) {
      return screening.screen(job, request).chain(screened -> screened(screened, request));
    }
    return serve(job, request);
  }

  /** A job that may run: from the cache's answer, or by a call. */
  private Uni<Outcome> serve(StoredJob job, ObjectNode request) {
    return cache.serve(
        new ResultCache.Ask(job.id(), job.tenantId(), job.cacheMode(), request),
        answer -> fromCache(job, request, answer),
        delay -> store.defer(job, delay).replaceWith(Outcome.ACK),
        () -> call(job, request));
  }

  /**
   * The input screens judged the job (SPEC §3 Guardrails): a job they block fails {@code
   * content_blocked} with no call and nothing reserved; any other goes on with its verdicts.
   */
  private Uni<Outcome> screened(InputScreening.Screened screened, ObjectNode request) {
    StoredJob job = screened.job();
    if (screened.blocked().isEmpty()) {
      return serve(job, request);
    }
    Log.infof("Job(id=%s) blocked by its tenant's guardrails", job.id());
    return store
        .fail(job.id(), job.version(), FailureCode.CONTENT_BLOCKED, screened.blocked().get())
        .invoke(changed -> ended(job.id(), changed, "failed"))
        .replaceWith(Outcome.ACK);
  }

  /**
   * A job that will not start from the governor's waiting room (it ended, or runs elsewhere) leaves
   * it, and capacity granted to it goes back: it may have been cancelled while it waited.
   */
  private Uni<Void> leftRoom(StoredJob job) {
    Uni<Void> left = Uni.createFrom().voidItem();
    java.util.List<String> chain = new java.util.ArrayList<>(models.fallbacksOf(job.model()));
    chain.add(0, job.model());
    for (String model : chain) {
      Optional<Providers.Route> route = providers.forModel(model);
      if (route.isPresent()) {
        left = left.chain(() -> capacity.leaveRoom(route.get(), job.id()));
      }
    }
    return left;
  }

  /**
   * Chooses the model that serves this attempt ({@link FallbackRouter}: the job's own, or the next
   * of its chain while that one is out) and calls it. When every model that could serve it is out
   * (its circuit open, no fallback allowed), the job waits, still queued, until a circuit may let a
   * probe through.
   */
  private Uni<Outcome> call(StoredJob job, ObjectNode request) {
    FallbackRouter.Ask ask =
        new FallbackRouter.Ask(
            job.id(), job.model(), job.servingModel(), job.policies().fallbacks());
    return router
        .choose(ask)
        .chain(choice ->
            switch (choice) {
              case FallbackRouter.Serve serve ->
                  callOn(
                      job.routedTo(serve.model(), serve.pass()),
                      request,
                      Optional.of(serve.route()));
              case FallbackRouter.Hold hold -> {
                Log.infof(
                    "Job(id=%s) waits %d ms: the circuit of every model that may serve it is open",
                    job.id(), hold.delay().toMillis());
                yield store.defer(job, hold.delay()).replaceWith(Outcome.ACK);
              }
              case FallbackRouter.Unroutable none -> callOn(job, request, Optional.empty());
            });
  }

  /**
   * No answer to reuse: route the job to its provider, take one of its tenant's concurrent slots
   * (or park it: see {@link TenantSlots}), and wait for capacity to call it.
   */
  private Uni<Outcome> callOn(StoredJob job, ObjectNode request, Optional<Providers.Route> route) {
    // A repair's attempt asks again with the invalid answers and their errors (the cache key is
    // the original request's: it was taken before).
    outputs.amend(request, job.repairJson());
    if (route.isEmpty()) {
      return claimThen(
          job,
          request,
          Admission.NONE,
          claimed ->
              fail(claimed, FailureCode.INTERNAL, "No provider is configured for this model."));
    }
    // From here on the request is the one the provider gets: under the model's upstream name.
    request.put("model", route.get().upstreamModel());
    if (job.maxConcurrentJobs() == null) {
      return admit(job, request, route.get());
    }
    return slots
        .take(job.id(), job.maxConcurrentJobs(), slotHold)
        .chain(held -> {
          if (!held) {
            Log.infof("Job(id=%s) waits for one of its tenant's concurrent slots", job.id());
            return Uni.createFrom().item(Outcome.ACK);
          }
          return admit(job, request, route.get())
              .call(() -> slots.handOver(job.tenantId(), slotHold));
        });
  }

  /** Reserves the call's capacity and runs it when the governor says. */
  private Uni<Outcome> admit(StoredJob job, ObjectNode request, Providers.Route route) {
    boolean free = SimulatedProvider.KIND.equals(route.settings().kind());
    CostBound bound =
        free
            ? CostBound.FREE
            : CostBound.of(
                models,
                job.servingModel(),
                request,
                route.settings().defaultMaxTokens(),
                job.budgeted());
    CallCapacity.Caller caller =
        new CallCapacity.Caller(
            job.id(),
            job.tenantId(),
            job.tenantTokensPerMinute(),
            job.shareWeight(),
            job.priority().rank());
    java.time.Instant waitStarted = spans.now();
    return capacity
        .admit(caller, route, request)
        .chain(admission -> admitted(job, request, route, bound, admission, waitStarted));
  }

  /**
   * Waits what the governor said, with the job still queued and its message held, then claims and
   * runs it. A wait too long to hold a message through (nothing was charged for it) puts the job
   * back for that long: it comes back about when its capacity would have come, without cycling
   * through the queue meanwhile.
   */
  private Uni<Outcome> admitted(
      StoredJob job,
      ObjectNode request,
      Providers.Route route,
      CostBound bound,
      Admission admission,
      java.time.Instant waitStarted) {
    String provider = route.provider().name();
    if (admission.waiting().isPresent()) {
      spans.governorWait(job.id(), waitStarted, provider, "waiting_room");
      return waiting(job, admission.waiting().get());
    }
    if (admission.deferred()) {
      spans.governorWait(job.id(), waitStarted, provider, "deferred");
      Log.infof(
          "Job(id=%s) waits %d ms for capacity; back in the queue until then",
          job.id(), admission.delay().toMillis());
      return freeSlot(job)
          .chain(() -> store.defer(job, admission.delay()))
          .replaceWith(Outcome.ACK);
    }
    // A cancel ends the wait at once; the claim then fails and the capacity goes back. So does the
    // worker's stop: the job goes back unclaimed.
    CompletableFuture<Void> cancelled = cancels.watch(job.id());
    CompletableFuture<Void> interrupted =
        CompletableFuture.anyOf(cancelled, stopping).thenRun(() -> {});
    return cancels
        .waitUnless(interrupted, admission.delay())
        .chain(() ->
            interrupted.isDone()
                ? Uni.createFrom().<CallSlots.Slot>nullItem()
                : slotUnless(route, job, interrupted))
        .onFailure(TimeoutException.class)
        .recoverWithNull()
        .chain(slot -> {
          spans.governorWait(
              job.id(),
              waitStarted,
              provider,
              interrupted.isDone() ? "interrupted" : slot == null ? "no_slot" : "admitted");
          if (interrupted.isDone()) {
            // Cancelled (or stopping) while it waited: nothing to run, everything goes back.
            Uni<Void> freed = slot == null ? Uni.createFrom().voidItem() : capacity.free(slot);
            Outcome outcome = cancelled.isDone() ? Outcome.ACK : Outcome.HAND_BACK;
            return freed
                .chain(() -> capacity.release(admission))
                .chain(() -> cancelled.isDone() ? Uni.createFrom().voidItem() : freeSlot(job))
                .replaceWith(outcome);
          }
          if (slot == null) {
            return slotless(job, admission);
          }
          return claimCallThen(
                  job,
                  request,
                  route,
                  bound,
                  admission,
                  claimed ->
                      store
                          .serving(claimed, route.provider().name())
                          .chain(() -> run(claimed, route, bound, admission, slot, cancelled)))
              .eventually(() -> capacity.free(slot));
        })
        .eventually(() -> cancels.forget(job.id(), cancelled));
  }

  /**
   * The job waits in the governor's room, its place kept there: its message goes (a grant sends a
   * new one), and so does its tenant's concurrent slot. A message later than the expected start is
   * scheduled too, in case the room's state is lost (Redis restarted without it): it finds the job
   * still waiting, keeps its place and schedules the next; or finds it gone and brings it back.
   */
  private Uni<Outcome> waiting(StoredJob job, WaitingRoom.Answer answer) {
    Log.infof(
        "Job(id=%s) waits for capacity: %d calls ahead, about %d ms",
        job.id(), answer.ahead(), answer.waitMs());
    Duration expected = Duration.ofMillis(answer.waitMs()).plus(ROOM_SAFETY_MARGIN);
    Duration safety = expected.compareTo(ROOM_SAFETY_MAX) > 0 ? ROOM_SAFETY_MAX : expected;
    return freeSlot(job)
        .chain(() -> store.defer(job, safety))
        .invoke(() ->
            progress
                .queued(job.id())
                .subscribe()
                .with(
                    ignored -> {}, failure -> Log.debugf("Job(id=%s) queue event lost", job.id())))
        .replaceWith(Outcome.ACK);
  }

  /** A call slot of the route's provider, unless {@code interrupted} ends the wait first. */
  private Uni<CallSlots.Slot> slotUnless(
      Providers.Route route, StoredJob job, CompletableFuture<Void> interrupted) {
    Uni<CallSlots.Slot> slot = capacity.slot(route, job.id() + ":" + job.version());
    Uni<CallSlots.Slot> ended =
        Uni.createFrom().completionStage(interrupted.copy()).map(ignored -> (CallSlots.Slot) null);
    return Uni.combine().any().of(slot, ended);
  }

  /**
   * Every call slot of the provider stayed taken through {@code max-hold}: the reservation goes
   * back, and so does the job, to try again shortly.
   */
  private Uni<Outcome> slotless(StoredJob job, Admission admission) {
    Log.infof("Job(id=%s) found no free call slot; back in the queue", job.id());
    return capacity
        .release(admission)
        .chain(() -> freeSlot(job))
        .chain(() -> store.defer(job, SLOT_RETRY))
        .replaceWith(Outcome.ACK);
  }

  /** A job going back to the queue while still queued gives its tenant's slot back. */
  private Uni<Void> freeSlot(StoredJob job) {
    return job.maxConcurrentJobs() == null
        ? Uni.createFrom().voidItem()
        : slots.free(job.id(), slotHold);
  }

  /**
   * Claims the job for a call attempt after reserving the attempt's worst case ({@code bound})
   * against its budgets, and runs {@code then}. A job whose deadline passed while it waited expires
   * instead, and a worst case that does not fit fails the job {@code budget_exceeded}, both with no
   * call and nothing reserved; a refused claim, or one lost to a concurrent change, frees the
   * capacity.
   */
  private Uni<Outcome> claimCallThen(
      StoredJob job,
      ObjectNode request,
      Providers.Route route,
      CostBound bound,
      Admission admission,
      java.util.function.Function<ClaimedJob, Uni<Outcome>> then) {
    if (stopping.isDone()) {
      return capacity.release(admission).chain(() -> freeSlot(job)).replaceWith(Outcome.HAND_BACK);
    }
    return store
        .claimCall(
            job, request, identity.id(), lease, route.provider().name(), bound.usd(), clock.now())
        .chain(claim -> {
          if (claim.isPresent() && claim.get().claimed().isPresent()) {
            return then.apply(claim.get().claimed().get());
          }
          Uni<Void> released = capacity.release(admission);
          if (claim.isEmpty()) {
            return released.replaceWith(Outcome.ACK);
          }
          if (claim.get().pastDeadline()) {
            return released.chain(() -> expire(job));
          }
          return released.chain(() -> overBudget(job, claim.get().refusedBy(), bound));
        });
  }

  /** The attempt's worst case does not fit in what is left of a budget: no call, the job fails. */
  private Uni<Outcome> overBudget(StoredJob job, String scope, CostBound bound) {
    metrics.counter("llmq.jobs.refused", "reason", "budget_exceeded").increment();
    String message =
        "The "
            + ("key".equals(scope) ? "API key's" : "tenant's")
            + " monthly budget has too little left for this job's worst case (USD "
            + bound.usd().toPlainString()
            + "); no call was made.";
    return store
        .fail(job.id(), job.version(), FailureCode.BUDGET_EXCEEDED, message)
        .invoke(changed -> ended(job.id(), changed, "failed"))
        .replaceWith(Outcome.DEAD_LETTER);
  }

  /**
   * Claims the job and runs {@code then}; a job whose deadline passed meanwhile (waiting for an
   * identical call's answer, say) expires instead. A refused or lost claim frees the capacity.
   */
  private Uni<Outcome> claimThen(
      StoredJob job,
      ObjectNode request,
      Admission admission,
      java.util.function.Function<ClaimedJob, Uni<Outcome>> then) {
    return store
        .claim(job, request, identity.id(), lease)
        .chain(claim -> {
          if (claim.isPresent() && claim.get().claimed().isPresent()) {
            return then.apply(claim.get().claimed().get());
          }
          Uni<Void> released = capacity.release(admission);
          if (claim.isPresent() && claim.get().pastDeadline()) {
            return released.chain(() -> expire(job));
          }
          return released.replaceWith(Outcome.ACK);
        });
  }

  /**
   * Completes the job with an answer from the cache: claimed (so it passes through running, as
   * every job does) and completed in two version-checked writes, with no capacity reserved and no
   * call. The job reports the usage of the call that produced the answer, {@code cost_usd} 0, and
   * what that call would cost now as {@code cost_saved_usd}.
   */
  private Uni<Outcome> fromCache(StoredJob job, ObjectNode request, CachedAnswer answer) {
    BigDecimal saved =
        answer.simulated()
            ? BigDecimal.ZERO
            : models.costOf(
                job.model(),
                answer.promptTokens(),
                answer.cachedPromptTokens(),
                answer.cacheWriteTokens(),
                answer.completionTokens());
    return claimThen(
        job,
        request,
        Admission.NONE,
        claimed ->
            store
                .succeedFromCache(claimed, answer, saved, clock.now())
                .invoke(changed -> ended(job.id(), changed, "succeeded"))
                .replaceWith(Outcome.ACK));
  }

  /**
   * Ends a job whose deadline passed before it started, at the version read. A slot of its tenant
   * that it held goes back with the status change (V5's trigger) and is handed on here.
   */
  private Uni<Outcome> expire(StoredJob job) {
    return store
        .expire(job)
        .invoke(changed -> ended(job.id(), changed, "expired"))
        .call(changed ->
            changed && job.maxConcurrentJobs() != null
                ? slots.handOver(job.tenantId(), slotHold)
                : Uni.createFrom().voidItem())
        .replaceWith(Outcome.ACK);
  }

  /** Attempts ran out without an answer: the workers that held the job kept dying. */
  private Uni<Outcome> giveUp(StoredJob job) {
    String message =
        "The job was started "
            + job.attempts()
            + (job.attempts() == 1 ? " time" : " times")
            + " and never finished; llmq gave up.";
    return store
        .fail(job.id(), job.version(), FailureCode.INTERNAL, message)
        .invoke(changed -> ended(job.id(), changed, "failed"))
        .replaceWith(Outcome.DEAD_LETTER);
  }

  /**
   * Runs the call in the provider's slot; {@code leaseLost} completes when the job is no longer
   * this worker's to run (a cancel notice, or a heartbeat that finds the job changed), which aborts
   * the call.
   */
  private Uni<Outcome> run(
      ClaimedJob job,
      Providers.Route route,
      CostBound bound,
      Admission admission,
      CallSlots.Slot slot,
      CompletableFuture<Void> leaseLost) {
    boolean free = SimulatedProvider.KIND.equals(route.settings().kind());
    Log.infof("Job(id=%s) attempt %d started", job.id(), job.attempts());
    RunEvents events = progress.started(job.id(), job.version());
    ProviderMetrics.Call measured = calls.call(route.provider().name(), job.model());
    ProviderCall providerCall =
        new ProviderCall(
            job.request(),
            delta -> {
              measured.delta();
              deltas.increment();
              events.delta(delta);
            },
            limits -> capacity.heard(admission, limits));
    Cancellable renewal = keepLease(job.id(), job.version(), leaseLost, capacity.keep(route, slot));
    Uni<Completion> call =
        Uni.createFrom()
            .deferred(() ->
                providerSpans.around(
                    job.id(), job.attempts(), route, route.provider().complete(providerCall)))
            .ifNoItem()
            .after(callTimeout)
            .failWith(() -> ProviderException.timedOut("The provider call timed out."))
            .plug(measured::timed);
    Uni<Completion> abort =
        Uni.createFrom()
            .completionStage(leaseLost.copy())
            .onItem()
            .transformToUni(ignored -> Uni.createFrom().<Completion>failure(new LeaseLost()));
    Uni<Completion> cut =
        Uni.createFrom()
            .completionStage(cutting.copy())
            .onItem()
            .transformToUni(ignored -> Uni.createFrom().<Completion>failure(new HandedBack()));
    return Uni.combine()
        .any()
        .of(call, abort, cut)
        .eventually(renewal::cancel)
        .onItemOrFailure()
        .call((completion, failure) -> breakerHeard(job, failure))
        .onItemOrFailure()
        .call((completion, failure) -> events.flush())
        .onItemOrFailure()
        .transformToUni((completion, failure) -> {
          if (failure == null) {
            return capacity
                .spent(admission, completion)
                .onFailure()
                .recoverWithNull()
                .chain(() -> answered(job, route, completion, free));
          }
          if (failure instanceof HandedBack) {
            return handBack(job, admission, events.completionTokens(), free);
          }
          if (failure instanceof LeaseLost) {
            Log.infof("Job(id=%s) call abandoned: the job is no longer ours", job.id());
            metrics.counter("llmq.jobs.abandoned").increment();
            return aborted
                .settle(
                    job.id(),
                    job.version(),
                    job.attempts(),
                    job.model(),
                    job.request(),
                    admission,
                    events.completionTokens(),
                    free)
                .replaceWith(Outcome.ACK);
          }
          if (failure instanceof ProviderException rejected) {
            return capacity
                .failed(admission, rejected, events.completionTokens())
                .onFailure()
                .recoverWithNull()
                .chain(
                    () -> settleFailed(job, admission, events.completionTokens(), rejected, free))
                .chain(() -> providerFailed(job, rejected));
          }
          Log.errorf(failure, "Job(id=%s) failed inside llmq", job.id());
          // What the provider billed is unknown: the attempt counts at its worst case.
          return capacity
              .failedInside(admission, events.completionTokens())
              .onFailure()
              .recoverWithNull()
              .chain(() ->
                  ledger.settle(
                      job.id(),
                      job.attempts(),
                      job.model(),
                      AttemptLedger.Usage.NONE,
                      bound.usd(),
                      "failed",
                      FailureCode.INTERNAL.wire()))
              .chain(() -> fail(job, FailureCode.INTERNAL, "llmq failed while running the job."));
        });
  }

  /**
   * The worker stopped before the call ended: what the call used so far is accounted as an aborted
   * call, and the job goes back to the queue at once, its attempt not spent.
   */
  private Uni<Outcome> handBack(ClaimedJob job, Admission admission, int streamed, boolean free) {
    Log.infof("Job(id=%s) call cut short by the worker's stop; handed back", job.id());
    metrics.counter("llmq.jobs.handed.back").increment();
    return aborted
        .settle(
            job.id(),
            job.version(),
            job.attempts(),
            job.model(),
            job.request(),
            admission,
            streamed,
            free)
        .chain(() -> store.handBack(job))
        .invoke(handedBack -> {
          if (handedBack) {
            progress.changed(job.id());
          }
        })
        .replaceWith(Outcome.ACK);
  }

  /**
   * The provider answered. An answer that fails the request's {@code response_format} is settled
   * like any answer (its tokens and cost count in the job, the ledger and the budget; the governor
   * settled it before), and is not cached: the job goes back to the queue at once for a repair, its
   * attempt not spent, or, its repairs used up, fails {@code invalid_output} with the errors. Any
   * other answer is the result.
   */
  private Uni<Outcome> answered(
      ClaimedJob job, Providers.Route route, Completion completion, boolean free) {
    Optional<OutputRepairs.Invalid> invalid = outputs.check(job.request(), completion.result());
    if (invalid.isEmpty()) {
      return succeed(job, route, completion, free);
    }
    BigDecimal cost = free ? BigDecimal.ZERO : costOf(job.model(), completion);
    AttemptLedger.Usage usage =
        new AttemptLedger.Usage(
            completion.promptTokens(),
            completion.cachedPromptTokens(),
            completion.cacheWriteTokens(),
            completion.completionTokens());
    return ledger
        .settle(
            job.id(),
            job.attempts(),
            job.model(),
            usage,
            cost,
            "failed",
            FailureCode.INVALID_OUTPUT.wire())
        .chain(
            () -> store.requeueForRepair(job, outputs.entries(invalid.get()), outputs.maxRepairs()))
        .chain(requeue -> {
          if (requeue.requeued()) {
            Log.infof(
                "Job(id=%s) attempt %d answered outside its response format (%d errors);"
                    + " asking for a repair",
                job.id(), job.attempts(), invalid.get().errors().size());
            outputs.repaired(job.model());
            progress.changed(job.id());
            return Uni.createFrom().item(Outcome.ACK);
          }
          if (requeue.repairsBefore() == null) {
            ended(job.id(), false, "failed");
            return Uni.createFrom().item(Outcome.ACK);
          }
          outputs.invalid(job.model());
          return fail(
              job,
              FailureCode.INVALID_OUTPUT,
              outputs.failureMessage(invalid.get(), requeue.repairsBefore()));
        });
  }

  /**
   * Settles the attempt at what the provider billed (the simulator bills nothing), then records the
   * result. A job cancelled after the provider answered keeps the settled cost and shows the usage.
   */
  private Uni<Outcome> succeed(
      ClaimedJob job, Providers.Route route, Completion completion, boolean free) {
    BigDecimal cost = free ? BigDecimal.ZERO : costOf(job.model(), completion);
    AttemptLedger.Usage usage =
        new AttemptLedger.Usage(
            completion.promptTokens(),
            completion.cachedPromptTokens(),
            completion.cacheWriteTokens(),
            completion.completionTokens());
    return ledger
        .settle(job.id(), job.attempts(), job.model(), usage, cost, "succeeded", null)
        .chain(() -> cache.remember(job.id(), completion, route.provider().name()))
        .chain(() -> store.succeed(job, completion, route.provider().name()))
        .invoke(row -> ended(job.id(), row))
        .chain(row ->
            row.isPresent()
                ? Uni.createFrom().voidItem()
                // Cancelled after the provider answered: the call still cost what it cost.
                : aborted.completedAfterCancel(
                    job.id(),
                    job.version(),
                    completion.promptTokens(),
                    completion.completionTokens()))
        .replaceWith(Outcome.ACK);
  }

  /**
   * Settles a failed attempt. A provider bills no error it answered before any output; a call that
   * broke off mid-stream is charged its prompt (the governor's estimate) and the output streamed.
   */
  private Uni<Void> settleFailed(
      ClaimedJob job, Admission admission, int streamed, ProviderException failure, boolean free) {
    int prompt = streamed > 0 ? (int) admission.promptEstimate() : 0;
    BigDecimal cost =
        free || streamed == 0
            ? BigDecimal.ZERO
            : models.costOf(job.model(), prompt, 0, 0, streamed);
    return ledger.settle(
        job.id(),
        job.attempts(),
        job.model(),
        new AttemptLedger.Usage(prompt, 0, 0, streamed),
        cost,
        "failed",
        failure.code().wire());
  }

  private BigDecimal costOf(String model, Completion completion) {
    return models.costOf(
        model,
        completion.promptTokens(),
        completion.cachedPromptTokens(),
        completion.cacheWriteTokens(),
        completion.completionTokens());
  }

  /**
   * Tells the serving provider's circuit breaker how the call went: a transient failure adds to its
   * run, any answer of the provider (a 4xx included: it is up) ends it, and a 429 or a call that
   * ended inside llmq tells nothing.
   */
  private Uni<Void> breakerHeard(ClaimedJob job, Throwable failure) {
    CircuitBreaker.Pass pass = job.routing().pass();
    if (pass == null) {
      return Uni.createFrom().voidItem();
    }
    if (failure == null) {
      return breaker.succeeded(pass);
    }
    if (failure instanceof ProviderException rejected) {
      return switch (rejected.code()) {
        case UPSTREAM_ERROR -> breaker.failed(pass);
        case UPSTREAM_RATE_LIMITED -> breaker.released(pass);
        default -> breaker.succeeded(pass);
      };
    }
    return breaker.released(pass);
  }

  /**
   * The attempts ran out on the serving model with a transient failure: the job moves on to the
   * next model of its chain (SPEC §3 Fallbacks), which gets the job's {@code max_attempts} of its
   * own. Empty when there is none, or the tenant pins its jobs to their model.
   */
  private Optional<Uni<Outcome>> moveOn(ClaimedJob job, ProviderException failure) {
    if (!failure.code().retryable() || job.hasAttemptsLeft() || !job.fallbacks()) {
      return Optional.empty();
    }
    return router
        .next(job.requestedModel(), job.model())
        .map(next -> {
          Log.infof(
              "Job(id=%s) attempts ran out on %s (%s); moving on to %s",
              job.id(), job.model(), failure.code().wire(), next);
          router.counted(job.requestedModel(), next, FallbackRouter.ATTEMPTS_EXHAUSTED);
          return store
              .moveOn(job, next, Duration.ZERO)
              .invoke(moved -> {
                if (moved) {
                  progress.changed(job.id());
                }
              })
              .replaceWith(Outcome.ACK);
        });
  }

  /**
   * The wait a failure asks the retry to honour: none when a 429 paused the provider longer than
   * {@code llmq.fallbacks.max-wait} and a fallback can serve the job, whose next attempt then goes
   * there at the usual backoff rather than wait the pause out.
   */
  private Duration retryAfter(ClaimedJob job, ProviderException failure) {
    boolean longPause =
        failure.code() == FailureCode.UPSTREAM_RATE_LIMITED
            && failure.retryAfter() != null
            && router.beyondMaxWait(failure.retryAfter());
    return longPause
            && job.fallbacks()
            && router.next(job.requestedModel(), job.model()).isPresent()
        ? null
        : failure.retryAfter();
  }

  private Uni<Outcome> providerFailed(ClaimedJob job, ProviderException failure) {
    Optional<Uni<Outcome>> movedOn = moveOn(job, failure);
    if (movedOn.isPresent()) {
      return movedOn.get();
    }
    if (failure.code().retryable() && job.hasAttemptsLeft()) {
      calls.retried(
          providers.forModel(job.model()).map(r -> r.provider().name()).orElse("none"), failure);
      Duration delay = retries.delayAfter(job.attempts(), retryAfter(job, failure));
      Log.infof(
          "Job(id=%s) attempt %d failed (%s); retrying in %d ms",
          job.id(), job.attempts(), failure.code().wire(), delay.toMillis());
      spans.retrying(job.id(), job.attempts(), failure.code().wire(), delay.toMillis());
      return store
          .requeue(job, delay)
          .invoke(requeued -> {
            if (requeued) {
              progress.changed(job.id());
            }
          })
          .replaceWith(Outcome.ACK);
    }
    return fail(job, failure.code(), failure.getMessage());
  }

  private Uni<Outcome> fail(ClaimedJob job, FailureCode code, String message) {
    return store
        .fail(job.id(), job.version(), code, message)
        .invoke(changed -> ended(job.id(), changed, "failed"))
        .replaceWith(Outcome.DEAD_LETTER);
  }

  /**
   * Renews the lease, and the call's slot ({@code slotKept}), while the call runs; the returned
   * handle stops it. A renewal that finds the job no longer ours (cancelled, or taken back after a
   * stall) completes {@code lost}. Ticks that arrive while a renewal is still running are dropped,
   * never queued.
   */
  private Cancellable keepLease(
      UUID jobId, int version, CompletableFuture<Void> lost, Uni<Void> slotKept) {
    return Multi.createFrom()
        .ticks()
        .every(heartbeat)
        .onOverflow()
        .drop()
        .onItem()
        .transformToUniAndConcatenate(tick ->
            store
                .heartbeat(jobId, version, identity.id(), lease)
                .onFailure()
                .recoverWithItem(true)
                .call(() -> slotKept))
        .subscribe()
        .with(
            renewed -> {
              if (!renewed) {
                lost.complete(null);
              }
            },
            failure -> Log.errorf(failure, "Job(id=%s) lease renewal stopped", jobId));
  }

  /**
   * {@link #ended(UUID, boolean, String)} for a job that succeeded, its end announced from the row
   * its terminal update answered ({@code row}; empty when the job had changed).
   */
  private void ended(UUID jobId, Optional<JobRow> row) {
    if (row.isEmpty()) {
      ended(jobId, false, "succeeded");
      return;
    }
    Log.infof("Job(id=%s) succeeded", jobId);
    metrics.counter("llmq.jobs.finished", "outcome", "succeeded").increment();
    progress.ended(row.get());
    finished(jobId);
  }

  private void ended(UUID jobId, boolean changed, String outcome) {
    if (!changed) {
      Log.infof("Job(id=%s) changed while running (cancelled?); its result was dropped", jobId);
      return;
    }
    Log.infof("Job(id=%s) %s", jobId, outcome);
    metrics.counter("llmq.jobs.finished", "outcome", outcome).increment();
    progress.ended(jobId);
    finished(jobId);
  }

  /** Rings the doorbell of clients waiting for the job's end (the api's long polls). */
  private void finished(UUID jobId) {
    notices
        .publish(JobNotices.FINISHED, jobId.toString())
        .subscribe()
        .with(ignored -> {}, failure -> Log.debugf("Job(id=%s) notice not sent", jobId));
  }
}
