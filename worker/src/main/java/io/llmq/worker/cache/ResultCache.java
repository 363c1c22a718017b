package io.llmq.worker.cache;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.cache.CacheConfig;
import io.llmq.common.cache.CacheKey;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.cache.CachedAnswers;
import io.llmq.common.job.CacheMode;
import io.llmq.worker.provider.Completion;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The exact-match cache in front of the provider (SPEC §3 Cache), as the executor sees it. Before
 * any capacity is reserved, {@link #serve} decides what a job does: complete from a stored answer,
 * call the provider, or, while an identical request's call is in flight on any replica, wait for
 * that call's answer ({@link SingleFlight}). The job that calls stores its answer through {@link
 * #remember}; its lock is released and its followers woken when its work ends, whatever the
 * outcome: after a failure the followers elect a new leader among themselves and make their own
 * attempts, one call at a time, instead of failing together.
 *
 * <p>Modes: {@code default} reads and writes; {@code refresh} skips the lookup and single flight,
 * calls, and overwrites the entry; {@code bypass} neither reads nor writes. A follower holds its
 * message at most {@code llmq.cache.single-flight.max-wait}; then its job goes back to the queue
 * for as long again. Redis down never fails a job: lookups, locks and stores that fail or time out
 * are skipped, counted in {@code llmq.cache.unavailable} and logged at most once a minute.
 *
 * <p>Metrics: {@code llmq.cache.hits} (jobs completed from the cache, followers included), {@code
 * llmq.cache.misses} (default-mode jobs that called), {@code llmq.cache.followers} (hits served
 * after waiting for a leader's call).
 */
@ApplicationScoped
public class ResultCache {

  /** What the executor asks about one job. {@code request} is read before anything changes it. */
  public record Ask(UUID jobId, UUID tenantId, CacheMode mode, JsonNode request) {}

  /** What a lookup decided. */
  private sealed interface Decision {}

  private record Hit(CachedAnswer answer, boolean followed) implements Decision {}

  private record Lead(CacheKey key, SingleFlight.Lock lock) implements Decision {}

  private record Requeue(Duration delay) implements Decision {}

  /** Nothing yet: wait and look again. */
  private record Again() implements Decision {}

  /** A call this replica makes whose answer is stored under {@code key}. */
  private record Flight(
      CacheKey key, SingleFlight.Lock lock, Cancellable renewal, AtomicBoolean landed) {}

  private static final Duration WARNING_INTERVAL = Duration.ofMinutes(1);

  private final CacheConfig config;
  private final CachedAnswers answers;
  private final SingleFlight flights;
  private final Counter hits;
  private final Counter misses;
  private final Counter followers;
  private final Counter unavailable;
  private final Map<UUID, Flight> flying = new ConcurrentHashMap<>();
  private final AtomicLong lastWarning =
      new AtomicLong(System.nanoTime() - 2 * WARNING_INTERVAL.toNanos());

  ResultCache(
      CacheConfig config, CachedAnswers answers, SingleFlight flights, MeterRegistry metrics) {
    this.config = config;
    this.answers = answers;
    this.flights = flights;
    this.hits = metrics.counter("llmq.cache.hits");
    this.misses = metrics.counter("llmq.cache.misses");
    this.followers = metrics.counter("llmq.cache.followers");
    this.unavailable = metrics.counter("llmq.cache.unavailable");
  }

  /**
   * Runs one of three paths for a job: {@code hit} with a stored answer, {@code requeue} with a
   * delay (a follower that waited its longest), or {@code call}, the provider path, whose answer
   * {@link #remember} stores.
   */
  public <T> Uni<T> serve(
      Ask ask,
      Function<CachedAnswer, Uni<T>> hit,
      Function<Duration, Uni<T>> requeue,
      Supplier<Uni<T>> call) {
    if (!config.enabled() || ask.mode() == CacheMode.BYPASS) {
      return Uni.createFrom().deferred(call::get);
    }
    CacheKey key = CacheKey.of(config.scope(), ask.tenantId(), ask.request());
    Uni<Decision> decision =
        ask.mode() == CacheMode.REFRESH
            ? Uni.createFrom().item(new Lead(key, null))
            : look(key, System.nanoTime() + config.singleFlight().maxWait().toNanos(), false);
    return decision.chain(decided ->
        switch (decided) {
          case Hit found -> {
            hits.increment();
            if (found.followed()) {
              followers.increment();
            }
            yield hit.apply(found.answer());
          }
          case Requeue later -> {
            Log.infof(
                "Job(id=%s) waited its longest for an identical call in flight; back in the queue"
                    + " for %d ms",
                ask.jobId(), later.delay().toMillis());
            yield requeue.apply(later.delay());
          }
          case Lead lead -> {
            if (ask.mode() == CacheMode.DEFAULT) {
              misses.increment();
            }
            yield lead(ask.jobId(), lead, call);
          }
          case Again again -> throw new IllegalStateException("a lookup ends in a decision");
        });
  }

  /**
   * Stores the answer of the call that {@code jobId} makes under {@link #serve}; nothing for a job
   * that bypasses the cache. Never fails.
   */
  public Uni<Void> remember(UUID jobId, Completion answer, String servedBy) {
    Flight flight = flying.get(jobId);
    if (flight == null) {
      return Uni.createFrom().voidItem();
    }
    CachedAnswer cached =
        new CachedAnswer(
            answer.result(),
            answer.promptTokens(),
            answer.cachedPromptTokens(),
            answer.cacheWriteTokens(),
            answer.completionTokens(),
            servedBy);
    if (flight.lock() == null) {
      return answers.put(flight.key(), cached).onFailure().recoverWithUni(this::unavailable);
    }
    // The leader stores and lands in one round trip: its followers need nothing but the answer.
    return flights
        .storeAndLand(flight.lock(), answers.encode(cached), answers.ttl())
        .invoke(() -> flight.landed().set(true))
        .onFailure()
        .recoverWithUni(this::unavailable);
  }

  /**
   * One look: with single flight on, the answer or else the lock in one round trip ({@link
   * SingleFlight#lookOrLock}); a job that finds neither waits for the leader within its bound.
   */
  private Uni<Decision> look(CacheKey key, long until, boolean followed) {
    boolean single = config.singleFlight().enabled();
    SingleFlight.Doorbell bell = single ? flights.doorbell(key) : null;
    Uni<Decision> looked =
        single
            ? flights.lookOrLock(key).chain(found -> decide(key, found, bell, until, followed))
            : answers
                .get(key)
                .map(found ->
                    found.isPresent()
                        ? new Hit(found.get(), followed)
                        : (Decision) new Lead(key, null));
    return looked
        .eventually(() -> {
          if (bell != null) {
            bell.close();
          }
        })
        .chain(decided ->
            decided instanceof Again ? look(key, until, true) : Uni.createFrom().item(decided))
        .onFailure()
        .recoverWithUni(failure -> unavailable(failure).replaceWith(new Lead(key, null)));
  }

  /**
   * What a look found: the stored answer (an entry that does not parse counts as none: the job
   * leads if it can), the lock (lead: the look was atomic, so no answer landed before it), or
   * another job leading (wait for it within the follower's bound).
   */
  private Uni<Decision> decide(
      CacheKey key,
      SingleFlight.Look found,
      SingleFlight.Doorbell bell,
      long until,
      boolean followed) {
    if (found.entry() != null) {
      Optional<CachedAnswer> answer = answers.parse(key, found.entry());
      if (answer.isPresent()) {
        return Uni.createFrom().item(new Hit(answer.get(), followed));
      }
      return flights
          .tryLock(key)
          .chain(lock ->
              lock.isPresent()
                  ? Uni.createFrom().<Decision>item(new Lead(key, lock.get()))
                  : follow(bell, until));
    }
    if (found.lock() != null) {
      return Uni.createFrom().item(new Lead(key, found.lock()));
    }
    return follow(bell, until);
  }

  /** Another job leads: wait for it to land, within the follower's bound. */
  private Uni<Decision> follow(SingleFlight.Doorbell bell, long until) {
    long left = until - System.nanoTime();
    if (left <= 0) {
      return Uni.createFrom().item(new Requeue(config.singleFlight().maxWait()));
    }
    Duration wait =
        Duration.ofNanos(Math.min(left, config.singleFlight().recheckInterval().toNanos()));
    return bell.await(wait).replaceWith(new Again());
  }

  private <T> Uni<T> lead(UUID jobId, Lead lead, Supplier<Uni<T>> call) {
    Cancellable renewal = lead.lock() == null ? () -> {} : flights.keep(lead.lock());
    Flight flight = new Flight(lead.key(), lead.lock(), renewal, new AtomicBoolean());
    flying.put(jobId, flight);
    return Uni.createFrom().deferred(call::get).eventually(() -> land(jobId, flight));
  }

  private Uni<Void> land(UUID jobId, Flight flight) {
    flying.remove(jobId, flight);
    flight.renewal().cancel();
    if (flight.lock() == null || flight.landed().get()) {
      return Uni.createFrom().voidItem();
    }
    return flights.land(flight.lock()).onFailure().recoverWithUni(failure -> unavailable(failure));
  }

  /**
   * Counts a failed cache operation. A warning names the first failure of an outage and then at
   * most one a minute, so a flapping Redis does not flood the log.
   */
  private Uni<Void> unavailable(Throwable failure) {
    unavailable.increment();
    long now = System.nanoTime();
    long last = lastWarning.get();
    if (now - last > WARNING_INTERVAL.toNanos() && lastWarning.compareAndSet(last, now)) {
      Log.warnf(
          "The cache is unavailable; jobs run without it meanwhile (%s; %d cache failures so far)",
          failure.toString(), (long) unavailable.count());
    } else {
      Log.debugf("The cache is unavailable (%s)", failure.toString());
    }
    return Uni.createFrom().voidItem();
  }
}
