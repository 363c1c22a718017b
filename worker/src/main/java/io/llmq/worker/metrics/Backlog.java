package io.llmq.worker.metrics;

import io.llmq.common.messaging.JobTopology;
import io.llmq.common.messaging.QueueConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.rabbitmq.RabbitMQClient;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What waits, as gauges refreshed by one scheduled task ({@code llmq.metrics.backlog-interval},
 * default 10 s) rather than per scrape: {@code llmq_queue_messages{queue}} (ready messages of the
 * job queue, {@code jobs}, and of its dead-letter queue, {@code dead_letter}, from a passive
 * declare on a connection of its own), {@code llmq_outbox_backlog} (rows in {@code job_outbox}) and
 * {@code llmq_outbox_oldest_seconds} (how long the oldest row has been due, 0 when empty). The
 * worker publishes them, not the api, so every replica reports the same shared numbers: take {@code
 * max} over instances. A refresh that fails keeps the last values.
 */
@ApplicationScoped
public class Backlog {

  private static final String OUTBOX =
      "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(available_at)), 0)::float8"
          + " AS oldest FROM job_outbox";

  private final Pool pool;
  private final QueueConfig queue;
  private final RabbitMQClient broker;
  private final AtomicLong jobs = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicLong outbox = new AtomicLong();
  private final AtomicReference<Double> oldest = new AtomicReference<>(0.0);
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean refreshing = new AtomicBoolean();

  Backlog(Pool pool, QueueConfig queue, JobTopology topology, Vertx vertx, MeterRegistry metrics) {
    this.pool = pool;
    this.queue = queue;
    this.broker =
        RabbitMQClient.create(
            vertx,
            topology
                .options("llmq metrics")
                .setAutomaticRecoveryEnabled(true)
                .setNetworkRecoveryInterval(2000)
                .setReconnectAttempts(Integer.MAX_VALUE)
                .setReconnectInterval(2000));
    Gauge.builder("llmq.queue.messages", jobs, AtomicLong::get)
        .description("Ready messages in the job queue (jobs) and its dead-letter queue")
        .tag("queue", "jobs")
        .register(metrics);
    Gauge.builder("llmq.queue.messages", deadLetters, AtomicLong::get)
        .tag("queue", "dead_letter")
        .register(metrics);
    Gauge.builder("llmq.outbox.backlog", outbox, AtomicLong::get)
        .description("Rows in job_outbox, jobs accepted but not yet published")
        .register(metrics);
    Gauge.builder("llmq.outbox.oldest.seconds", oldest, AtomicReference::get)
        .description("How long the oldest job_outbox row has been due; 0 when empty")
        .register(metrics);
  }

  @Scheduled(
      every = "${llmq.metrics.backlog-interval:10s}",
      delayed = "1s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> refresh() {
    if (!refreshing.compareAndSet(false, true)) {
      return Uni.createFrom().voidItem();
    }
    return Uni.join()
        .all(outbox(), queues())
        .andCollectFailures()
        .replaceWithVoid()
        .onFailure()
        .invoke(failure -> Log.debugf("Backlog gauges not refreshed: %s", failure.getMessage()))
        .onFailure()
        .recoverWithNull()
        .eventually(() -> refreshing.set(false));
  }

  private Uni<Void> outbox() {
    return pool.query(OUTBOX)
        .execute()
        .invoke(rows -> {
          Row row = rows.iterator().next();
          outbox.set(row.getLong("n"));
          oldest.set(Math.max(0, row.getDouble("oldest")));
        })
        .replaceWithVoid();
  }

  private Uni<Void> queues() {
    Uni<Void> connected =
        started.compareAndSet(false, true) ? broker.start() : Uni.createFrom().voidItem();
    return connected
        .onFailure()
        .invoke(() -> started.set(false))
        .chain(() -> broker.messageCount(queue.name()))
        .invoke(jobs::set)
        .chain(() -> broker.messageCount(queue.deadLetterQueue()))
        .invoke(deadLetters::set)
        .ifNoItem()
        .after(Duration.ofSeconds(5))
        .fail()
        .replaceWithVoid();
  }

  void stop(@Observes ShutdownEvent event) {
    broker.stop().subscribe().with(ignored -> {}, failure -> {});
  }
}
