package io.llmq.worker.intake;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.messaging.JobMessage;
import io.llmq.worker.config.WorkerConfig;
import io.llmq.worker.execution.JobExecutor;
import io.llmq.worker.execution.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * Takes job messages off the quorum queue. The method returns at once, so one slow call never holds
 * up the next delivery; the channel's prefetch bounds how many run together. A message is
 * acknowledged when its job's new state is durable, or, for a job that outlives {@code
 * llmq.worker.ack-handover}, earlier: from then on the job's lease guards it, and the broker's
 * consumer timeout can never redeliver a job that is still running. The early ack frees a prefetch
 * slot, so a worker may run more than its concurrency while jobs outlive the handover; that excess
 * is bounded by how many jobs run that long.
 */
@ApplicationScoped
public class JobConsumer {

  /** Incoming channel name in the worker's configuration. */
  public static final String CHANNEL = "jobs-in";

  private static final Duration REDELIVERY_PAUSE = Duration.ofSeconds(2);

  private final JobExecutor executor;
  private final ObjectMapper json;
  private final Vertx vertx;
  private final Duration handover;
  private final Counter handedOver;

  JobConsumer(
      JobExecutor executor,
      ObjectMapper json,
      Vertx vertx,
      WorkerConfig config,
      MeterRegistry metrics) {
    this.executor = executor;
    this.json = json;
    this.vertx = vertx;
    this.handover = config.ackHandover();
    this.handedOver = metrics.counter("llmq.messages.handed.over");
  }

  @Incoming(CHANNEL)
  public CompletionStage<Void> receive(Message<Object> message) {
    JobMessage job;
    try {
      job = decode(message.getPayload());
    } catch (RuntimeException | java.io.IOException e) {
      Log.warnf("An unreadable job message went to the dead-letter queue: %s", e.getMessage());
      return message.nack(new IllegalArgumentException("unreadable job message"));
    }
    AtomicBoolean settled = new AtomicBoolean();
    long timer =
        vertx.setTimer(
            handover.toMillis(),
            id -> {
              if (settled.compareAndSet(false, true)) {
                Log.infof("Job(id=%s) still running; its lease now guards it alone", job.jobId());
                handedOver.increment();
                message.ack();
              }
            });
    executor
        .execute(job)
        .subscribe()
        .with(outcome -> {
          vertx.cancelTimer(timer);
          if (settled.compareAndSet(false, true)) {
            settle(message, outcome);
          }
        });
    return CompletableFuture.completedFuture(null);
  }

  private void settle(Message<Object> message, Outcome outcome) {
    switch (outcome) {
      case ACK -> message.ack();
      case DEAD_LETTER -> message.nack(new IllegalStateException("job failed"));
      case REDELIVER ->
          vertx.setTimer(
              REDELIVERY_PAUSE.toMillis(),
              id ->
                  message.nack(
                      new IllegalStateException("redeliver"),
                      Metadata.of(new RabbitMQRejectMetadata(true))));
    }
  }

  private JobMessage decode(Object payload) throws java.io.IOException {
    byte[] bytes =
        switch (payload) {
          case byte[] raw -> raw;
          case String text -> text.getBytes(StandardCharsets.UTF_8);
          case JsonObject object -> object.encode().getBytes(StandardCharsets.UTF_8);
          case Buffer buffer -> buffer.getBytes();
          case io.vertx.mutiny.core.buffer.Buffer buffer -> buffer.getBytes();
          default -> throw new IllegalArgumentException("unexpected payload type");
        };
    JobMessage message = json.readValue(bytes, JobMessage.class);
    if (message.schema() != JobMessage.SCHEMA
        || message.jobId() == null
        || message.tenantId() == null) {
      throw new IllegalArgumentException("unsupported job message");
    }
    return message;
  }
}
