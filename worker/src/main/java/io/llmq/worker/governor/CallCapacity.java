package io.llmq.worker.governor;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.job.FailureCode;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.LimiterCharge;
import io.llmq.common.provider.LimiterCounting;
import io.llmq.common.provider.PromptCalibration;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.common.request.TokenEstimator;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.Providers;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.llmq.worker.provider.simulated.SimulatedProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one job's call asks of the {@link Governor}, and what it gives back: the worst case reserved
 * before the call, counted as the provider's limiter counts it ({@link LimiterCounting}: by
 * characters, or by the tokenizer scaled by the shared {@link PromptCalibration}, plus {@code
 * max_tokens} or the provider's default, for each of the {@code n} choices), settled afterwards
 * against what the provider charged (the prompt as its limiter counted it plus the {@code
 * max_tokens} it counted at admission, or the tokens it produced), the tenant charged its real
 * usage; a 429 refunds the call and pauses the provider. Waits are recorded in the {@code
 * llmq.governor.wait} timer.
 */
@ApplicationScoped
public class CallCapacity {

  /** How often a call that misses the room is said at WARN; the others are DEBUG. */
  private static final Duration ROOM_MISS_QUIET = Duration.ofSeconds(10);

  private final AtomicLong lastRoomMiss = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);

  private final Governor governor;
  private final WaitingRoom room;
  private final CallSlots slots;
  private final GovernorConfig config;
  private final MeterRegistry metrics;
  private final PromptCalibration calibration;
  private final Map<String, Counter> pauses = new ConcurrentHashMap<>();
  private final Map<String, Timer> waits = new ConcurrentHashMap<>();

  /** Notes the buckets a call asks of the room, for their utilization gauges; absent in tests. */
  @Inject BucketUse use;

  CallCapacity(
      Governor governor,
      WaitingRoom room,
      CallSlots slots,
      GovernorConfig config,
      MeterRegistry metrics,
      PromptCalibration calibration) {
    this.governor = governor;
    this.room = room;
    this.slots = slots;
    this.config = config;
    this.metrics = metrics;
    this.calibration = calibration;
  }

  /**
   * Capacity granted to one call.
   *
   * @param bucket the upstream bucket the provider's headers and 429s teach: the model's when it
   *     has limits of its own (providers that limit per model report per model), else the
   *     provider's; {@code null} for a provider that is not governed
   * @param deferred the wait passes {@code llmq.governor.max-hold} and nothing was charged: the
   *     caller puts the job back instead of holding its message
   * @param promptEstimate the billing tokenizer's prompt tokens, uncalibrated (for costs)
   * @param maxTokens the output the limiter charges at admission, all choices together
   * @param charge the whole reservation as the provider's limiter counts it
   * @param waiting the call waits in the provider's {@link WaitingRoom}, nothing charged: the
   *     caller lets its message go; a grant sends it a new one
   */
  public record Admission(
      Reservation reservation,
      Governor.Bucket bucket,
      String provider,
      long promptEstimate,
      long maxTokens,
      LimiterCharge charge,
      boolean chargesMaxTokens,
      boolean deferred,
      Optional<WaitingRoom.Answer> waiting) {

    public static final Admission NONE =
        new Admission(
            Reservation.NONE,
            null,
            null,
            0,
            0,
            new LimiterCharge(LimiterCounting.Mode.TOKENIZER, 0, 0, 1),
            true,
            false,
            Optional.empty());

    public Duration delay() {
      return reservation.delay();
    }
  }

  /**
   * {@code llmq_governor_wait_seconds{provider}}: how long a call waited for capacity, whether
   * reserved directly or granted by the provider's waiting room ({@link RoomDispatcher}).
   */
  static Timer waitTimer(MeterRegistry metrics, String provider) {
    return Timer.builder("llmq.governor.wait").tag("provider", provider).register(metrics);
  }

  /**
   * {@code llmq_governor_pauses_total{provider}}: 429s that paused a provider for every replica.
   */
  private Counter pauseCounter(String provider) {
    return Counter.builder("llmq.governor.pauses").tag("provider", provider).register(metrics);
  }

  /** Who asks for capacity: the job, its tenant, the tenant's limit and weight, its priority. */
  public record Caller(
      UUID jobId, UUID tenantId, Long tenantTokensPerMinute, double shareWeight, int rank) {}

  /**
   * Reserves the call's worst case for {@code request}, as the provider will get it (its model the
   * upstream name). A governed provider's call starts now only if it fits and nobody waits before
   * it; otherwise it is {@link Admission#waiting()} in the provider's {@link WaitingRoom}, charged
   * nothing. Calls that only their tenant's limit governs reserve directly, and one whose wait
   * passes {@code llmq.governor.max-hold} charges nothing and is {@link Admission#deferred()}: the
   * caller puts the job back instead of waiting. While Redis is unreachable, every call reserves
   * against the local fallback buckets.
   */
  public Uni<Admission> admit(Caller caller, Providers.Route route, JsonNode request) {
    UUID tenantId = caller.tenantId();
    Long tenantTokensPerMinute = caller.tenantTokensPerMinute();
    if (!config.enabled()) {
      return Uni.createFrom().item(Admission.NONE);
    }
    ProvidersConfig.Provider settings = route.settings();
    String name = route.provider().name();
    LimiterCounting counting = settings.counting();
    double ratio =
        counting.mode() == LimiterCounting.Mode.TOKENIZER ? calibration.ratio(name) : 1.0;
    LimiterCharge charge = counting.charge(route.upstreamModel(), request, ratio);
    long prompt = TokenEstimator.promptTokens(route.upstreamModel(), request);
    long maxTokens = charge.outputTokens();
    List<Governor.Bucket> upstream = new ArrayList<>(2);
    Governor.Bucket learner = null;
    if (!SimulatedProvider.KIND.equals(settings.kind())) {
      learner =
          Governor.provider(
              name, settings.tokensPerMinute().orElse(0L), settings.requestsPerMinute().orElse(0L));
      upstream.add(learner);
      ModelCatalog.Limits limits = route.modelLimits();
      if (limits.any()) {
        learner =
            Governor.model(
                name, route.upstreamModel(), limits.tokensPerMinute(), limits.requestsPerMinute());
        upstream.add(learner);
      }
    }
    Governor.Bucket learns = learner;
    long worst = charge.total();
    Governor.Bucket tenant =
        tenantTokensPerMinute == null ? null : Governor.tenant(tenantId, tenantTokensPerMinute);
    if (!upstream.isEmpty()) {
      List<Governor.Bucket> buckets = new ArrayList<>(upstream);
      if (tenant != null && tenant.limited()) {
        buckets.add(tenant);
      }
      if (use != null) {
        use.reserved(buckets);
      }
      WaitingRoom.Ask ask =
          new WaitingRoom.Ask(
              caller.jobId(),
              tenantId,
              caller.shareWeight(),
              caller.rank(),
              worst,
              buckets,
              learns,
              config.headroom());
      List<String> upstreamKeys = upstream.stream().map(Governor.Bucket::key).toList();
      String tenantKey = tenant != null && tenant.limited() ? tenant.key() : null;
      return room.enter(name, ask)
          .map(answer -> {
            if (answer.go() && !answer.granted()) {
              // Started at once; a call that waited is timed when the room grants it.
              waits.computeIfAbsent(name, n -> waitTimer(metrics, n)).record(Duration.ZERO);
            }
            Log.debugf(
                "Room of %s: %d tokens (%s, counted by %s): %s",
                name,
                worst,
                charge.describe(),
                charge.mode(),
                answer.go()
                    ? "start"
                    : "wait, " + answer.ahead() + " ahead, about " + answer.waitMs() + " ms");
            Reservation reservation =
                answer.go()
                    ? new Reservation(
                        upstreamKeys, tenantKey, worst, System.currentTimeMillis(), true, false)
                    : new Reservation(List.of(), null, 0, 0, false, false);
            return new Admission(
                reservation,
                learns,
                name,
                prompt,
                maxTokens,
                charge,
                settings.chargesMaxTokens(),
                false,
                answer.go() ? Optional.empty() : Optional.of(answer));
          })
          .onFailure()
          .recoverWithUni(failure -> {
            roomMissed(name, caller.jobId(), failure);
            return reserve(upstream, tenant, learns, name, prompt, charge, settings);
          });
    }
    return reserve(upstream, tenant, learns, name, prompt, charge, settings);
  }

  /**
   * A call that could not enter its provider's room (Redis down or slower than {@code
   * llmq.redis.timeout}) reserves directly, out of the room's order: weights and priorities do not
   * apply to it. Said at most every {@link #ROOM_MISS_QUIET}, so an outage does not log every job.
   */
  private void roomMissed(String provider, UUID jobId, Throwable failure) {
    long now = System.nanoTime();
    long last = lastRoomMiss.get();
    if (now - last >= ROOM_MISS_QUIET.toNanos() && lastRoomMiss.compareAndSet(last, now)) {
      Log.warnf(
          "Room of %s not entered (%s): job %s and others reserve directly, out of the room's order",
          provider, failure.toString(), jobId);
    } else {
      Log.debugf("Room of %s not entered: job %s reserves directly", provider, jobId);
    }
  }

  /**
   * Reserves directly, into debt, in arrival order: the tenant's own bucket when only it governs
   * the call, or every bucket, locally, while Redis (and so the room) is unreachable.
   */
  private Uni<Admission> reserve(
      List<Governor.Bucket> upstream,
      Governor.Bucket tenant,
      Governor.Bucket learns,
      String name,
      long prompt,
      LimiterCharge charge,
      ProvidersConfig.Provider settings) {
    long worst = charge.total();
    long maxTokens = charge.outputTokens();
    Uni<Reservation> reserved =
        governor
            .reserve(upstream, tenant, worst)
            .invoke(reservation -> {
              Log.debugf(
                  "Reserved %d tokens (%s, counted by %s) on %s: wait %d ms%s",
                  worst,
                  charge.describe(),
                  charge.mode(),
                  name,
                  reservation.delay().toMillis(),
                  reservation.charged() ? "" : ", past the horizon: not charged");
              waits.computeIfAbsent(name, n -> waitTimer(metrics, n)).record(reservation.delay());
            });
    return reserved.map(reservation ->
        new Admission(
            reservation,
            learns,
            name,
            prompt,
            maxTokens,
            charge,
            settings.chargesMaxTokens(),
            !reservation.charged(),
            Optional.empty()));
  }

  /**
   * How much longer a 429 pauses the route for every replica: its provider's bucket or the model's
   * own. Zero for a route no limit governs, with the governor off, or when Redis cannot say.
   */
  public Uni<Duration> pausedFor(Providers.Route route) {
    if (!config.enabled() || SimulatedProvider.KIND.equals(route.settings().kind())) {
      return Uni.createFrom().item(Duration.ZERO);
    }
    String name = route.provider().name();
    List<Governor.Bucket> buckets = new ArrayList<>(2);
    buckets.add(Governor.provider(name, 0, 0));
    if (route.modelLimits().any()) {
      buckets.add(Governor.model(name, route.upstreamModel(), 0, 0));
    }
    return governor.pausedFor(buckets);
  }

  /** The job will not start from the room: it leaves it, and capacity granted to it goes back. */
  public Uni<Void> leaveRoom(Providers.Route route, UUID jobId) {
    if (!config.enabled() || SimulatedProvider.KIND.equals(route.settings().kind())) {
      return Uni.createFrom().voidItem();
    }
    return room.forget(route.provider().name(), jobId)
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull();
  }

  /**
   * A slot among the provider's {@code max-concurrent-calls} for the call {@code callId}, waiting
   * at most {@code llmq.governor.max-hold}; {@link CallSlots.Slot#NONE} when the provider has no
   * cap or the governor is off. Fails with a {@link java.util.concurrent.TimeoutException} when
   * none came free in time.
   */
  public Uni<CallSlots.Slot> slot(Providers.Route route, String callId) {
    Optional<Integer> cap = route.settings().maxConcurrentCalls();
    if (!config.enabled() || cap.isEmpty()) {
      return Uni.createFrom().item(CallSlots.Slot.NONE);
    }
    return slots.acquire(route.provider().name(), cap.get(), callId, config.maxHold());
  }

  /** Keeps the call's slot while it runs. */
  public Uni<Void> keep(Providers.Route route, CallSlots.Slot slot) {
    return slots.renew(slot, route.settings().maxConcurrentCalls().orElse(1)).replaceWithVoid();
  }

  /** The call ended: its slot is free for the next. */
  public Uni<Void> free(CallSlots.Slot slot) {
    return slots.release(slot);
  }

  /** The call never happened: everything goes back. */
  public Uni<Void> release(Admission admission) {
    return governor.refund(admission.reservation());
  }

  /**
   * The provider's response headers arrived, before its body: a cold bucket learns what remains at
   * once, so the calls waiting behind its probe need not wait for the whole answer.
   */
  public void heard(Admission admission, RateLimitSnapshot limits) {
    if (admission.bucket() == null || limits.isEmpty()) {
      return;
    }
    governor
        .learn(admission.bucket(), limits, null)
        .subscribe()
        .with(
            ignored -> {}, failure -> Log.debugf("Headers not learned: %s", failure.getMessage()));
  }

  /**
   * The call answered: settle, and learn from its headers. The provider charged the prompt as its
   * limiter counted it ({@link LimiterCharge#settledPrompt}) and, at admission, {@code max_tokens}
   * (kept, as OpenAI does) or the tokens produced ({@code charges-max-tokens=false}).
   */
  public Uni<Void> spent(Admission admission, Completion completion) {
    calibrate(admission, completion);
    long providerCharge =
        admission.charge().settledPrompt(completion.promptTokens())
            + (admission.chargesMaxTokens()
                ? admission.maxTokens()
                : completion.completionTokens());
    Uni<Void> settled =
        governor.settle(admission.reservation(), providerCharge, completion.totalTokens());
    return admission.bucket() == null
        ? settled
        : settled.chain(() -> governor.learn(admission.bucket(), completion.limits(), null));
  }

  /**
   * The call failed. A 429 was not charged, so it is refunded, and it pauses the provider for every
   * replica for as long as the provider asked (or {@code llmq.governor.default-pause}). Other
   * failures keep their charge in the provider's buckets, since the provider may have counted them,
   * while the tenant's bucket, llmq's own limit on what the tenant used, is charged only the {@code
   * streamed} output and, when there was some, the prompt: a failure before any output costs the
   * tenant nothing.
   */
  public Uni<Void> failed(Admission admission, ProviderException failure, int streamed) {
    if (failure.code() == FailureCode.UPSTREAM_RATE_LIMITED) {
      if (admission.bucket() == null) {
        return governor.refund(admission.reservation());
      }
      Duration pause = failure.retryAfter() != null ? failure.retryAfter() : config.defaultPause();
      pauses.computeIfAbsent(admission.provider(), this::pauseCounter).increment();
      return governor
          .refund(admission.reservation())
          .chain(() -> governor.learn(admission.bucket(), failure.limits(), pause));
    }
    Uni<Void> settled = failedInside(admission, streamed);
    return admission.bucket() == null
        ? settled
        : settled.chain(() -> governor.learn(admission.bucket(), failure.limits(), null));
  }

  /**
   * The call failed inside llmq, or without an answer the provider explained: the provider's
   * buckets keep their charge, the tenant's is charged what was used (see {@link #failed}).
   */
  public Uni<Void> failedInside(Admission admission, int streamed) {
    long used = streamed > 0 ? admission.promptEstimate() + streamed : 0;
    return governor.settle(admission.reservation(), admission.reservation().tokens(), used);
  }

  /**
   * Teaches the shared {@link PromptCalibration} how the provider bills prompts against the
   * tokenizer's estimate, when its limiter counts with the tokenizer; in the background, since the
   * call's settling does not depend on it. The built-in simulator, which no limit governs, teaches
   * nothing (its answers would cost a Redis update each for no limit's sake).
   */
  private void calibrate(Admission admission, Completion completion) {
    if (admission.bucket() == null
        || admission.charge().mode() != LimiterCounting.Mode.TOKENIZER
        || admission.promptEstimate() <= 0
        || completion.promptTokens() <= 0) {
      return;
    }
    calibration
        .learn(admission.provider(), admission.promptEstimate(), completion.promptTokens())
        .subscribe()
        .with(
            ignored -> {},
            failure ->
                Log.debugf("Calibration of %s not updated: %s", admission.provider(), failure));
  }
}
