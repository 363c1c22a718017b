package io.llmq.worker.governor;

import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.redis.LuaScript;
import io.llmq.worker.execution.WorkerIdentity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;

/**
 * The live-worker registry in Redis, and what it tells this worker about its share of each limit
 * while Redis is unreachable. Every {@code llmq.governor.presence-interval} each worker renews its
 * entry in a sorted set (its id, scored by when the entry lapses: three intervals on, on Redis's
 * clock) and counts the live entries; it remembers the last count it saw ({@code
 * llmq.workers.live}). On a graceful stop it removes its entry; a worker that dies drops out when
 * its entry lapses. While Redis is unreachable nobody can count again, so each worker keeps its
 * last count: a worker that died meanwhile still counts, which only makes the others' shares
 * smaller.
 *
 * <p>The workers together take {@code llmq.governor.fallback-share} (0.9) of each limit: a worker
 * that the others have counted takes that divided by its last count. One that the others may not
 * have counted yet (it never reached Redis, or its entry is younger than two intervals, so a
 * worker's last count before the outage may predate it) takes its share from the margin the counted
 * ones leave: {@code (1 - fallback-share) / expected-workers}. So the workers stay within the limit
 * as long as no more than {@code expected-workers} of them are uncounted.
 */
@Startup
@ApplicationScoped
public class LiveWorkers implements FallbackShare {

  static final String KEY = "llmq:workers";

  private final ReactiveRedisDataSource redis;
  private final LuaScript presence;
  private final RedisTimeout timeout;
  private final String key;
  private final String id;
  private final Duration interval;
  private final double together;
  private final int expected;
  private volatile Census census = Census.NONE;
  private volatile boolean leaving;

  /** What the last heartbeat that reached Redis told this worker. */
  private record Census(int live, long joinedAt, long seenAt, long contacts) {

    static final Census NONE = new Census(0, 0, 0, 0);

    /** Whether every other live worker has counted this one since it (last) joined. */
    boolean countedByOthers(Duration interval) {
      return live > 0 && seenAt - joinedAt >= 2 * interval.toNanos();
    }
  }

  @Inject
  LiveWorkers(
      ReactiveRedisDataSource redis,
      RedisTimeout timeout,
      GovernorConfig config,
      WorkerIdentity identity,
      MeterRegistry metrics) {
    this(redis, timeout, config, KEY, identity.id());
    Gauge.builder("llmq.workers.live", this, LiveWorkers::live)
        .description("Live workers this worker last counted in the registry")
        .strongReference(true)
        .register(metrics);
    Gauge.builder("llmq.governor.fallback.share", this, LiveWorkers::share)
        .description("Share of each limit this worker would take while Redis is unreachable")
        .strongReference(true)
        .register(metrics);
  }

  /** A worker {@code id} in the registry at {@code key}: tests stand several up side by side. */
  LiveWorkers(
      ReactiveRedisDataSource redis,
      RedisTimeout timeout,
      GovernorConfig config,
      String key,
      String id) {
    double share = config.fallbackShare();
    if (!(share > 0 && share < 1)) {
      throw new IllegalArgumentException(
          "llmq.governor.fallback-share must lie above 0 and below 1, not " + share);
    }
    if (config.expectedWorkers() < 1) {
      throw new IllegalArgumentException("llmq.governor.expected-workers must be at least 1");
    }
    if (config.presenceInterval().compareTo(Duration.ofSeconds(1)) < 0) {
      // The scheduler runs nothing more often than once a second.
      throw new IllegalArgumentException("llmq.governor.presence-interval must be at least 1s");
    }
    this.redis = redis;
    this.timeout = timeout;
    this.presence = new LuaScript("governor/presence.lua", timeout);
    this.key = key;
    this.id = id;
    this.together = share;
    this.expected = config.expectedWorkers();
    this.interval = config.presenceInterval();
  }

  @Scheduled(
      every = "${llmq.governor.presence-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> heartbeat() {
    if (leaving) {
      return Uni.createFrom().voidItem();
    }
    List<String> args = List.of(id, Long.toString(interval.multipliedBy(3).toMillis()));
    return presence
        .run(redis, List.of(key), args)
        .invoke(this::counted)
        .replaceWithVoid()
        .onFailure()
        .recoverWithItem(failure -> {
          Log.debugf(
              "Live-worker heartbeat failed; keeping the last count, %d (Redis: %s)",
              census.live(), failure.getMessage());
          return null;
        });
  }

  private void counted(long answer) {
    long now = System.nanoTime();
    Census last = census;
    int live = (int) Math.abs(answer);
    // An entry that was not there, or a first count (a process before this one may have used the
    // same id): the others may not have counted this worker yet.
    long joinedAt = answer < 0 || last == Census.NONE ? now : last.joinedAt();
    census = new Census(live, joinedAt, now, last.contacts() + 1);
    if (live != last.live()) {
      Log.infof("Live workers: %d (counted before: %d)", live, last.live());
    }
  }

  /** The live workers this one last counted, itself included; 0 before it ever reached Redis. */
  public int live() {
    return census.live();
  }

  @Override
  public double share() {
    Census last = census;
    return last.countedByOthers(interval) ? together / last.live() : (1 - together) / expected;
  }

  @Override
  public long contacts() {
    return census.contacts();
  }

  /** The graceful stop, after the jobs in hand are settled: this worker leaves the registry. */
  void leave(@Observes ShutdownEvent stop) {
    leaving = true;
    try {
      timeout.bound(redis.sortedSet(String.class).zrem(key, id)).await().indefinitely();
    } catch (RuntimeException failure) {
      Log.debugf(
          "Could not leave the live-worker registry; the entry lapses by itself (Redis: %s)",
          failure.getMessage());
    }
  }
}
