package io.llmq.worker.cache;

import io.llmq.common.cache.CacheConfig;
import io.llmq.common.cache.CacheKey;
import io.llmq.common.messaging.StandingSubscription;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One call for identical requests in flight together, across every worker replica: a Redis lock per
 * {@link CacheKey} ({@code SET NX PX}) that the leading job holds while its call runs, renewed
 * every third of {@code llmq.cache.single-flight.lease} and released only by its owner (a token
 * checked in Lua). Releasing the lock publishes the key on {@link #CHANNEL}; each replica has one
 * subscription and wakes its local {@link Doorbell}s, so followers do not poll Redis: they look
 * again when the leader lands, or after the recheck interval when a notice was lost. A leader that
 * dies stops renewing, and its lock lapses after the lease.
 *
 * <p>Each instance is one replica's view; two instances over one Redis behave as two replicas (the
 * tests rely on this). Operations fail rather than wait past {@code llmq.cache.timeout}.
 */
@ApplicationScoped
public class SingleFlight {

  /** The pub/sub channel on which a landing leader names its key. */
  static final String CHANNEL = "llmq:cache:landed";

  private static final String RENEW =
      "if redis.call('get', KEYS[1]) == ARGV[1] then"
          + " return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
  private static final String LAND =
      "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end"
          + " return redis.call('publish', ARGV[2], ARGV[3])";

  /**
   * One round trip for what a job's lookup needs: the stored answer ({@code {1, entry}}), else the
   * lock taken ({@code {2}}), else another job leads ({@code {0}}). Atomic, so a lock taken here
   * never misses an answer that landed between the look and the lock, and needs no second look.
   */
  private static final String LOOK_OR_LOCK =
      "local a = redis.call('get', KEYS[1]) if a then return {1, a} end"
          + " if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end"
          + " return {0}";

  /**
   * The leader's answer stored (entry {@code KEYS[1]} for {@code ARGV[3]} ms) and its lock freed if
   * still its own, and the followers told, in one round trip: the entry is written before the lock
   * goes, as {@link #land} after a separate store did.
   */
  private static final String STORE_AND_LAND =
      "redis.call('set', KEYS[1], ARGV[4], 'PX', ARGV[3])"
          + " if redis.call('get', KEYS[2]) == ARGV[1] then redis.call('del', KEYS[2]) end"
          + " return redis.call('publish', ARGV[2], KEYS[1])";

  /** What {@link #lookOrLock} found: the entry's text, the lock won, or neither (another leads). */
  public record Look(String entry, Lock lock) {}

  private final ReactiveRedisDataSource redis;
  private final Duration lease;
  private final Duration timeout;
  private final Map<String, Set<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();
  private volatile StandingSubscription subscription;

  SingleFlight(ReactiveRedisDataSource redis, CacheConfig config) {
    this.redis = redis;
    this.lease = config.singleFlight().lease();
    this.timeout = config.timeout();
  }

  /** A lock this replica won: the key it guards and the token that proves whose it is. */
  public record Lock(CacheKey key, String token) {}

  void onStart(@Observes StartupEvent start) {
    start();
  }

  void onStop(@Observes ShutdownEvent stop) {
    stop();
  }

  /** Starts listening for landings; a lost subscription is made again. */
  void start() {
    subscription = StandingSubscription.open(redis, CHANNEL, this::wake);
  }

  void stop() {
    StandingSubscription current = subscription;
    if (current != null) {
      current.close();
    }
  }

  /** Takes the key's lock; empty when another job leads. */
  Uni<Optional<Lock>> tryLock(CacheKey key) {
    String token = UUID.randomUUID().toString();
    return redis
        .execute("SET", key.lock(), token, "NX", "PX", Long.toString(lease.toMillis()))
        .ifNoItem()
        .after(timeout)
        .fail()
        .map(response ->
            response == null ? Optional.<Lock>empty() : Optional.of(new Lock(key, token)));
  }

  /**
   * The key's stored answer, or else its lock, in one round trip (see {@link #LOOK_OR_LOCK}): a
   * {@link Look} with the entry's text, or with the lock this job now holds, or with neither when
   * another job leads.
   */
  Uni<Look> lookOrLock(CacheKey key) {
    String token = UUID.randomUUID().toString();
    return redis
        .execute(
            "EVAL",
            LOOK_OR_LOCK,
            "2",
            key.entry(),
            key.lock(),
            token,
            Long.toString(lease.toMillis()))
        .ifNoItem()
        .after(timeout)
        .fail()
        .map(response -> {
          long found = response == null ? 0 : response.get(0).toLong();
          if (found == 1) {
            return new Look(response.get(1).toString(), null);
          }
          return new Look(null, found == 2 ? new Lock(key, token) : null);
        });
  }

  /**
   * Stores the leader's answer ({@code entry}, living {@code ttl}) and lands, in one round trip
   * (see {@link #STORE_AND_LAND}).
   */
  Uni<Void> storeAndLand(Lock lock, String entry, Duration ttl) {
    return redis
        .execute(
            "EVAL",
            STORE_AND_LAND,
            "2",
            lock.key().entry(),
            lock.key().lock(),
            lock.token(),
            CHANNEL,
            Long.toString(ttl.toMillis()),
            entry)
        .ifNoItem()
        .after(timeout)
        .fail()
        .replaceWithVoid();
  }

  /**
   * Renews the lock while the leader's work runs; cancel the returned handle to stop. A renewal
   * that finds the lock no longer ours stops quietly: at worst another job calls too.
   */
  Cancellable keep(Lock lock) {
    return Multi.createFrom()
        .ticks()
        .every(lease.dividedBy(3))
        .onOverflow()
        .drop()
        .onItem()
        .transformToUniAndConcatenate(tick ->
            eval(RENEW, lock.key().lock(), lock.token(), Long.toString(lease.toMillis()))
                .onFailure()
                .recoverWithItem(1L))
        .select()
        .where(renewed -> renewed == 0)
        .toUni()
        .subscribe()
        .with(lost -> Log.debugf("Single-flight lock %s was lost", lock.key().lock()));
  }

  /** Ends the leadership: frees the lock if it is still ours and tells every follower. */
  Uni<Void> land(Lock lock) {
    return eval(LAND, lock.key().lock(), lock.token(), CHANNEL, lock.key().entry())
        .replaceWithVoid();
  }

  /**
   * A doorbell for {@code key}, registered now: a landing from this moment on rings it. Register
   * before looking, so a landing between the look and the wait is not missed; close it after.
   */
  Doorbell doorbell(CacheKey key) {
    CompletableFuture<Void> rung = new CompletableFuture<>();
    waiting.computeIfAbsent(key.entry(), k -> ConcurrentHashMap.newKeySet()).add(rung);
    return new Doorbell(key.entry(), rung);
  }

  /** Waits for a landing of one key, at most a given time. */
  final class Doorbell implements AutoCloseable {
    private final String entry;
    private final CompletableFuture<Void> rung;

    private Doorbell(String entry, CompletableFuture<Void> rung) {
      this.entry = entry;
      this.rung = rung;
    }

    /** Completes when the key's leader lands, or after {@code atMost}, whichever comes first. */
    Uni<Void> await(Duration atMost) {
      return Uni.createFrom()
          .completionStage(rung)
          .ifNoItem()
          .after(atMost)
          .recoverWithItem((Void) null);
    }

    @Override
    public void close() {
      waiting.computeIfPresent(
          entry,
          (k, bells) -> {
            bells.remove(rung);
            return bells.isEmpty() ? null : bells;
          });
    }
  }

  private void wake(String entry) {
    Set<CompletableFuture<Void>> bells = waiting.get(entry);
    if (bells != null) {
      bells.forEach(bell -> bell.complete(null));
    }
  }

  private Uni<Long> eval(String script, String key, String... args) {
    String[] call = new String[args.length + 3];
    call[0] = script;
    call[1] = "1";
    call[2] = key;
    System.arraycopy(args, 0, call, 3, args.length);
    return redis
        .execute("EVAL", call)
        .ifNoItem()
        .after(timeout)
        .fail()
        .map(response -> response == null ? 0L : response.toLong());
  }
}
