package io.llmq.worker.governor;

import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.messaging.StandingSubscription;
import io.llmq.common.redis.LuaScript;
import io.llmq.worker.config.WorkerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cap on a provider's concurrent calls, shared by every worker replica: a sorted set of call ids
 * in Redis, each slot held for a worker lease ({@code llmq.worker.lease-duration}) and renewed with
 * the lease while its call runs, so a dead worker's slots free themselves. A call that finds every
 * slot taken waits in this worker's queue for the provider, served in arrival order; only the head
 * of the queue asks Redis again, when any replica frees a slot (a pub/sub notice) or once a second,
 * so waiting never hammers Redis. While Redis is unreachable, each worker allows itself its {@link
 * FallbackShare} of the slots (its part of {@code llmq.governor.fallback-share} by the live workers
 * it last counted), at least one: a cap smaller than the number of workers is exceeded then.
 */
@ApplicationScoped
public class CallSlots {

  static final String PREFIX = "llmq:governor:slots:";
  static final String FREED = "llmq:governor:slot-freed";
  private static final Duration RECHECK = Duration.ofSeconds(1);

  private final ReactiveRedisDataSource redis;
  private final Vertx vertx;
  private final Duration hold;
  private final FallbackShare shares;
  private final Counter fallbacks;
  private final RedisTimeout timeout;
  private final LuaScript take;
  private final Map<String, Line> lines = new ConcurrentHashMap<>();
  private volatile StandingSubscription listening;

  CallSlots(
      ReactiveRedisDataSource redis,
      Vertx vertx,
      FallbackShare shares,
      WorkerConfig worker,
      RedisTimeout timeout,
      MeterRegistry metrics) {
    this.redis = redis;
    this.timeout = timeout;
    this.take = new LuaScript("governor/slot.lua", timeout);
    this.vertx = vertx;
    this.hold = worker.leaseDuration();
    this.shares = shares;
    this.fallbacks = metrics.counter("llmq.governor.fallbacks");
  }

  /** A slot held by one call; {@link #NONE} for a provider without a cap. */
  public record Slot(String provider, String callId, boolean local) {
    public static final Slot NONE = new Slot(null, null, false);
  }

  /**
   * A slot of {@code provider}'s {@code limit} for the call {@code callId}, once one is free;
   * failing with {@link java.util.concurrent.TimeoutException} after {@code patience}.
   */
  public Uni<Slot> acquire(String provider, int limit, String callId, Duration patience) {
    listen();
    Line line = lines.computeIfAbsent(provider, name -> new Line(name, limit));
    CompletableFuture<Slot> granted = new CompletableFuture<>();
    line.enqueue(callId, granted);
    return Uni.createFrom()
        .completionStage(granted)
        .ifNoItem()
        .after(patience)
        .failWith(() -> {
          line.forget(granted);
          return new java.util.concurrent.TimeoutException("no call slot free in " + patience);
        })
        .onCancellation()
        .invoke(() -> line.forget(granted));
  }

  /** Keeps the slot while the call runs; false when its hold lapsed and it could not be taken. */
  public Uni<Boolean> renew(Slot slot, int limit) {
    if (slot.provider() == null || slot.local()) {
      return Uni.createFrom().item(true);
    }
    return take.run(redis, List.of(PREFIX + slot.provider()), args(slot.callId(), limit))
        .map(taken -> taken == 1)
        .onFailure()
        .recoverWithItem(true);
  }

  /** The call ended: its slot goes to the next waiting call, on any replica. */
  public Uni<Void> release(Slot slot) {
    if (slot.provider() == null) {
      return Uni.createFrom().voidItem();
    }
    Line line = lines.get(slot.provider());
    if (slot.local()) {
      if (line != null) {
        line.localInUse.decrementAndGet();
        line.pump();
      }
      return Uni.createFrom().voidItem();
    }
    return timeout
        .bound(
            redis
                .sortedSet(String.class)
                .zrem(PREFIX + slot.provider(), slot.callId())
                .chain(() -> redis.pubsub(String.class).publish(FREED, slot.provider())))
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull()
        .invoke(() -> {
          if (line != null) {
            line.pump();
          }
        });
  }

  private List<String> args(String callId, int limit) {
    return List.of(callId, Integer.toString(limit), Long.toString(hold.toMillis()));
  }

  /** Listens for freed slots from the first call that may wait for one on. */
  private void listen() {
    if (listening != null) {
      return;
    }
    synchronized (this) {
      if (listening == null) {
        listening =
            StandingSubscription.open(
                redis,
                FREED,
                provider -> {
                  Line line = lines.get(provider);
                  if (line != null) {
                    line.pump();
                  }
                });
      }
    }
  }

  /** One provider's waiting calls in this worker, oldest first; one attempt at a time. */
  private final class Line {
    final String provider;
    final int limit;
    final Deque<Waiter> waiting = new ArrayDeque<>();
    final AtomicInteger localInUse = new AtomicInteger();
    boolean trying;
    long timer = -1;

    Line(String provider, int limit) {
      this.provider = provider;
      this.limit = limit;
    }

    record Waiter(String callId, CompletableFuture<Slot> granted) {}

    synchronized void enqueue(String callId, CompletableFuture<Slot> granted) {
      waiting.addLast(new Waiter(callId, granted));
      pump();
    }

    synchronized void forget(CompletableFuture<Slot> granted) {
      waiting.removeIf(waiter -> waiter.granted() == granted);
    }

    /** Asks for a slot for the oldest waiting call, unless an ask is under way. */
    synchronized void pump() {
      while (!waiting.isEmpty() && waiting.peekFirst().granted().isDone()) {
        waiting.removeFirst();
      }
      if (trying || waiting.isEmpty()) {
        return;
      }
      trying = true;
      Waiter head = waiting.peekFirst();
      take.run(redis, List.of(PREFIX + provider), args(head.callId(), limit))
          .map(taken -> taken == 1 ? new Slot(provider, head.callId(), false) : null)
          .onFailure()
          .recoverWithItem(failure -> localSlot(head, failure))
          .subscribe()
          .with(slot -> answered(head, slot), failure -> answered(head, null));
    }

    private Slot localSlot(Waiter head, Throwable failure) {
      fallbacks.increment();
      Log.debugf("Call slots fall back to a local share (Redis: %s)", failure.getMessage());
      int share = Math.max(1, (int) Math.floor(limit * shares.share()));
      if (localInUse.incrementAndGet() <= share) {
        return new Slot(provider, head.callId(), true);
      }
      localInUse.decrementAndGet();
      return null;
    }

    private void answered(Waiter head, Slot slot) {
      boolean again;
      synchronized (this) {
        trying = false;
        if (slot != null) {
          waiting.remove(head);
          if (!head.granted().complete(slot)) {
            // The caller gave up meanwhile: the slot goes straight back.
            release(slot).subscribe().with(ignored -> {});
          }
        }
        again = slot != null && !waiting.isEmpty();
        if (slot == null && !waiting.isEmpty() && timer < 0) {
          timer =
              vertx.setTimer(
                  RECHECK.toMillis(),
                  id -> {
                    synchronized (this) {
                      timer = -1;
                    }
                    pump();
                  });
        }
      }
      if (again) {
        pump();
      }
    }
  }
}
