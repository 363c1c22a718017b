package io.llmq.worker.governor;

import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.redis.LuaScript;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The global rate governor: token buckets in Redis, shared by every worker replica, one per
 * provider (tokens and requests per minute), one per model with limits of its own, and one per
 * tenant with its own tokens-per-minute. A governed provider's calls reserve through its {@link
 * WaitingRoom}, which shares these buckets' state; {@link #reserve} charges directly, into debt, in
 * arrival order, for calls only their tenant's limit governs and while Redis is unreachable, and
 * charges nothing when the wait passes the horizon ({@code llmq.governor.max-hold}). Upstream
 * buckets keep {@code llmq.governor.headroom} unspent. After the call the reservation is settled
 * against what the provider charged; headers teach the buckets the provider's real limits and
 * remaining budget; a 429 pauses the provider for every replica. When Redis is unreachable, a
 * {@link LocalBuckets} share of each limit stands in.
 */
@ApplicationScoped
public class Governor {

  static final String PREFIX = "llmq:governor:";

  private final ReactiveRedisDataSource redis;
  private final double headroom;
  private final Duration horizon;
  private final LocalBuckets local;
  private final Counter fallbacks;
  private final LuaScript reserve;
  private final LuaScript adjust;
  private final RedisTimeout timeout;

  /** Notes the buckets reserved in, for their utilization gauges; absent in unit tests. */
  @Inject BucketUse use;

  Governor(
      ReactiveRedisDataSource redis,
      GovernorConfig config,
      RedisTimeout timeout,
      MeterRegistry metrics,
      FallbackShare shares) {
    this.redis = redis;
    this.timeout = timeout;
    this.reserve = new LuaScript("governor/reserve.lua", timeout);
    this.adjust = new LuaScript("governor/adjust.lua", timeout);
    this.headroom = config.headroom();
    this.horizon = config.maxHold();
    this.local = new LocalBuckets(shares);
    this.fallbacks = metrics.counter("llmq.governor.fallbacks");
  }

  /**
   * A bucket: its Redis key and limits per minute (0 = not enforced). An upstream bucket (a
   * provider's or a model's) keeps {@code llmq.governor.headroom} of its tokens unspent as a margin
   * for estimates that run short; a tenant's is llmq's own limit and is spent to the last token.
   */
  public record Bucket(String key, long tokensPerMinute, long requestsPerMinute, boolean upstream) {

    boolean limited() {
      return tokensPerMinute > 0 || requestsPerMinute > 0;
    }
  }

  public static Bucket provider(String name, long tokensPerMinute, long requestsPerMinute) {
    return new Bucket(PREFIX + "provider:" + name, tokensPerMinute, requestsPerMinute, true);
  }

  /** A model's own limits at its provider, beside the provider's. */
  public static Bucket model(
      String provider, String model, long tokensPerMinute, long requestsPerMinute) {
    return new Bucket(
        PREFIX + "model:" + provider + ":" + model, tokensPerMinute, requestsPerMinute, true);
  }

  public static Bucket tenant(UUID tenantId, long tokensPerMinute) {
    return new Bucket(PREFIX + "tenant:" + tenantId, tokensPerMinute, 0, false);
  }

  /**
   * Charges {@code tokens} to every upstream bucket (always consulted, if only for a pause after a
   * 429) and to the tenant's when it has a limit; the reservation says when the call may start.
   *
   * @param upstream the provider's bucket and the model's where it has limits of its own; empty for
   *     a provider that needs no governing (the built-in simulator)
   * @param tenant the tenant's bucket, {@code null} for none
   */
  public Uni<Reservation> reserve(List<Bucket> upstream, Bucket tenant, long tokens) {
    List<Bucket> buckets = new ArrayList<>(upstream);
    String tenantKey = null;
    if (tenant != null && tenant.limited()) {
      buckets.add(tenant);
      tenantKey = tenant.key();
    }
    if (buckets.isEmpty()) {
      return Uni.createFrom().item(Reservation.NONE);
    }
    if (use != null) {
      use.reserved(buckets);
    }
    List<String> keys = buckets.stream().map(Bucket::key).toList();
    List<String> args = new ArrayList<>();
    args.add(Long.toString(horizon.toMillis()));
    for (Bucket bucket : buckets) {
      args.add(Long.toString(tokens));
      args.add(Long.toString(bucket.tokensPerMinute()));
      args.add(Long.toString(bucket.requestsPerMinute()));
      args.add(Double.toString(headroomOf(bucket)));
    }
    List<String> upstreamKeys = upstream.stream().map(Bucket::key).toList();
    String tenantBucket = tenantKey;
    return run(reserve, keys, args)
        .map(waitMs -> reservation(upstreamKeys, tenantBucket, tokens, waitMs, false))
        .onFailure()
        .recoverWithItem(failure -> {
          fallbacks.increment();
          Log.warnf("Governor falls back to local buckets (Redis: %s)", failure.getMessage());
          long waitMs =
              local.reserve(
                  buckets.stream()
                      .map(bucket ->
                          new LocalBuckets.Charge(
                              bucket.key(),
                              tokens,
                              bucket.tokensPerMinute(),
                              bucket.requestsPerMinute(),
                              headroomOf(bucket)))
                      .toList(),
                  horizon.toMillis(),
                  System.currentTimeMillis());
          return reservation(upstreamKeys, tenantBucket, tokens, waitMs, true);
        });
  }

  /** A script's answer as a reservation: a negative wait is one past the horizon, not charged. */
  private static Reservation reservation(
      List<String> upstreamKeys, String tenantKey, long tokens, long waitMs, boolean local) {
    long readyAt = System.currentTimeMillis() + Math.abs(waitMs);
    return waitMs < 0
        ? new Reservation(List.of(), null, 0, readyAt, false, local)
        : new Reservation(upstreamKeys, tenantKey, tokens, readyAt, true, local);
  }

  double headroomOf(Bucket bucket) {
    return bucket.upstream() ? headroom : 0;
  }

  /** The call never happened (cancelled, lost a race): everything goes back. */
  public Uni<Void> refund(Reservation reservation) {
    return settle(reservation, 0, 0, 1);
  }

  /**
   * The call happened: each bucket gets back what was reserved beyond what was really spent
   * (negative: it is charged the difference).
   */
  public Uni<Void> settle(Reservation reservation, long providerCharge, long tenantCharge) {
    return settle(reservation, providerCharge, tenantCharge, 0);
  }

  private Uni<Void> settle(
      Reservation reservation, long providerCharge, long tenantCharge, long requests) {
    Uni<Void> done = Uni.createFrom().voidItem();
    for (String key : reservation.upstreamKeys()) {
      done =
          done.chain(
              () -> adjust(reservation, key, reservation.tokens() - providerCharge, requests));
    }
    return done.chain(() ->
        adjust(
            reservation, reservation.tenantKey(), reservation.tokens() - tenantCharge, requests));
  }

  /**
   * Teaches an upstream bucket what a response said: the real limits, the budget that remains (a
   * cold bucket takes it as its level), and, after a 429, a pause every replica honours, after
   * which the bucket refills from empty.
   */
  public Uni<Void> learn(Bucket bucket, RateLimitSnapshot limits, Duration pause) {
    List<String> args =
        List.of(
            "0",
            "0",
            Long.toString(orZero(limits.tokenLimit())),
            Long.toString(orZero(limits.requestLimit())),
            Long.toString(limits.tokensRemaining() == null ? -1 : limits.tokensRemaining()),
            Long.toString(limits.requestsRemaining() == null ? -1 : limits.requestsRemaining()),
            Long.toString(pause == null ? 0 : pause.toMillis()),
            "1");
    return run(adjust, List.of(bucket.key()), args).replaceWithVoid().onFailure().recoverWithNull();
  }

  /**
   * How much longer a 429 pauses the longest paused of {@code buckets} for every replica; zero when
   * none is paused or Redis cannot say (then nothing is known to wait for).
   */
  public Uni<Duration> pausedFor(List<Bucket> buckets) {
    Uni<Long> latest = Uni.createFrom().item(0L);
    for (Bucket bucket : buckets) {
      latest =
          latest.chain(sofar ->
              timeout
                  .bound(redis.execute("HGET", bucket.key(), "pause"))
                  .map(pause -> Math.max(sofar, pause == null ? 0 : pause.toLong())));
    }
    return latest
        .map(until -> Duration.ofMillis(Math.max(0, until - System.currentTimeMillis())))
        .onFailure()
        .recoverWithItem(Duration.ZERO);
  }

  private Uni<Void> adjust(Reservation reservation, String key, long tokens, long requests) {
    if (key == null || (tokens == 0 && requests == 0)) {
      return Uni.createFrom().voidItem();
    }
    if (reservation.local()) {
      local.giveBack(key, tokens, requests);
      return Uni.createFrom().voidItem();
    }
    List<String> args =
        List.of(Long.toString(tokens), Long.toString(requests), "0", "0", "-1", "-1", "0", "0");
    return run(adjust, List.of(key), args).replaceWithVoid().onFailure().recoverWithNull();
  }

  private Uni<Long> run(LuaScript script, List<String> keys, List<String> args) {
    return script.run(redis, keys, args);
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }
}
