package io.llmq.api.events;

import io.llmq.common.events.EventLog;
import io.llmq.common.events.EventsConfig;
import io.llmq.common.messaging.StandingSubscription;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Feeds every SSE stream of this api instance from one Redis subscription: every job's events are
 * published on {@link EventLog#CHANNEL}, and the hub hands each to the streams open on that job
 * here. So an instance holds one subscriber connection however many clients listen, and any
 * instance can serve any job. When the subscription breaks (Redis restarted) it subscribes again
 * and has every stream re-read its job's Redis stream, so nothing published meanwhile is missed;
 * each stream also re-reads after a quiet keep-alive interval.
 */
@ApplicationScoped
public class EventHub {

  private static final long TICK_MS = 1000;

  private final EventLog log;
  private final ReactiveRedisDataSource redis;
  private final Vertx vertx;
  private final long keepAliveNanos;
  private final Map<UUID, Set<EventStream>> streams = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean stopping;

  EventHub(
      EventLog log,
      ReactiveRedisDataSource redis,
      Vertx vertx,
      EventsConfig config,
      MeterRegistry metrics) {
    this.log = log;
    this.redis = redis;
    this.vertx = vertx;
    this.keepAliveNanos = config.keepAlive().toNanos();
    metrics.gauge("llmq.sse.streams", open);
  }

  void start(@Observes StartupEvent start) {
    // Whatever was published while no subscription stood is in the streams: re-read them.
    StandingSubscription.open(
        redis,
        EventLog.CHANNEL,
        this::dispatch,
        () -> streams.values().forEach(set -> set.forEach(EventStream::catchUp)));
    vertx.setPeriodic(TICK_MS, id -> tick());
  }

  /**
   * The api begins to stop (before it waits for requests in flight to finish): every open stream
   * ends with a {@code reconnect} event, so its client resumes elsewhere with {@code Last-Event-ID}
   * instead of holding this instance's stop.
   */
  void stop(@Observes ShutdownDelayInitiatedEvent event) {
    stopping = true;
    streams.values().forEach(set -> set.forEach(EventStream::reconnect));
  }

  /** The frames of one client's stream, from its {@code Last-Event-ID} on. */
  Multi<Frame> open(Opening opening) {
    if (opening.finished() && opening.after() >= opening.terminalEventId()) {
      return Multi.createFrom().empty();
    }
    if (stopping) {
      return Multi.createFrom().item(new Frame.Reconnect(opening.after()));
    }
    return Multi.createFrom()
        .emitter(out -> {
          EventStream stream = new EventStream(opening, log, out);
          add(stream);
          out.onTermination(() -> {
            stream.close();
            remove(stream);
          });
          stream.catchUp();
        });
  }

  /** How many streams are open here. */
  int openStreams() {
    return open.get();
  }

  private void dispatch(String message) {
    int end = message.indexOf('\n');
    if (end != 36) {
      return;
    }
    UUID jobId;
    try {
      jobId = UUID.fromString(message.substring(0, end));
    } catch (IllegalArgumentException e) {
      return;
    }
    Set<EventStream> listening = streams.get(jobId);
    if (listening == null) {
      return;
    }
    EventLog.Published published = EventLog.parse(message);
    if (published != null) {
      listening.forEach(stream -> stream.offer(published.event()));
    }
  }

  private void tick() {
    long now = System.nanoTime();
    streams.values().forEach(set -> set.forEach(stream -> stream.tick(now, keepAliveNanos)));
  }

  private void add(EventStream stream) {
    streams.computeIfAbsent(stream.jobId(), id -> ConcurrentHashMap.newKeySet()).add(stream);
    open.incrementAndGet();
  }

  private void remove(EventStream stream) {
    streams.computeIfPresent(
        stream.jobId(),
        (id, set) -> {
          if (set.remove(stream)) {
            open.decrementAndGet();
          }
          return set.isEmpty() ? null : set;
        });
  }
}
