package io.llmq.worker.intake;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.messaging.JobMessage;
import io.llmq.common.messaging.QueueConfig;
import io.llmq.common.telemetry.TraceContexts;
import io.llmq.worker.config.WorkerConfig;
import io.llmq.worker.execution.JobExecutor;
import io.llmq.worker.execution.Outcome;
import io.llmq.worker.tracing.JobSpans;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.ChannelRegistry;
import io.smallrye.reactive.messaging.PausableChannel;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * Takes job messages off the quorum queue. The method returns at once, so one slow call never holds
 * up the next delivery; the channel's prefetch bounds how many run together. A message is
 * acknowledged when its job's new state is durable, or, for a job that this worker claimed and that
 * outlives {@code llmq.worker.ack-handover}, earlier: from then on the job's lease guards it, and
 * the broker's consumer timeout can never redeliver a job that is still running. A job not claimed
 * by then (still waiting for admission) keeps its message: nothing else would ever run it. The
 * early ack frees a prefetch slot, so a worker may run more than its concurrency while jobs outlive
 * the handover; that excess is bounded by how many jobs run that long.
 */
@ApplicationScoped
public class JobConsumer {

  /** Incoming channel name in the worker's configuration. */
  public static final String CHANNEL = "jobs-in";

  private static final Duration REDELIVERY_PAUSE = Duration.ofSeconds(2);

  /** How long the stop waits for cut calls to be accounted and their jobs handed back. */
  private static final Duration CUT_PATIENCE = Duration.ofSeconds(10);

  /** How soon the handover looks again at a job that was not claimed yet. */
  private static final Duration HANDOVER_RECHECK = Duration.ofSeconds(30);

  private final JobExecutor executor;
  private final ObjectMapper json;
  private final Vertx vertx;
  private final Duration handover;
  private final Duration grace;
  private final Counter handedOver;
  private final ChannelRegistry channels;
  private final JobSpans spans;
  private final String queueName;

  /** Jobs whose execution has not ended, whether or not their message is still held. */
  private final Set<Held> inHand = ConcurrentHashMap.newKeySet();

  private volatile boolean draining;

  JobConsumer(
      JobExecutor executor,
      ObjectMapper json,
      Vertx vertx,
      WorkerConfig config,
      MeterRegistry metrics,
      ChannelRegistry channels,
      JobSpans spans,
      QueueConfig queue) {
    this.spans = spans;
    this.queueName = queue.name();
    this.executor = executor;
    this.json = json;
    this.vertx = vertx;
    this.handover = config.ackHandover();
    this.grace = config.shutdownGrace();
    this.handedOver = metrics.counter("llmq.messages.handed.over");
    this.channels = channels;
    metrics.gaugeCollectionSize("llmq.jobs.in.hand", List.of(), inHand);
  }

  /** Whether the worker has begun to stop and takes no more jobs. */
  public boolean draining() {
    return draining;
  }

  /**
   * The graceful stop (SPEC §3 Shutdown), before the messaging connector and the pools close: no
   * more deliveries; jobs waiting for admission are handed back unclaimed; calls in flight get
   * {@code llmq.worker.shutdown-grace} to finish; the rest are cut short and their jobs handed
   * back, attempts not spent. Messages still unsettled go back to the queue when the connection
   * closes.
   */
  void stop(@Observes @Priority(1) ShutdownEvent event) {
    long started = System.nanoTime();
    draining = true;
    PausableChannel intake = channels.getPausable(CHANNEL);
    if (intake != null) {
      intake.pause();
    }
    int atStop = inHand.size();
    executor.stop();
    Log.infof("Stopping: no more jobs taken; %d in hand, up to %s to finish", atStop, grace);
    boolean finished = awaitInHand(grace);
    int cut = inHand.size();
    if (!finished) {
      executor.cutCalls();
      awaitInHand(CUT_PATIENCE);
    }
    Log.infof(
        "Stopped in %d ms: %d jobs were in hand, %d cut short and handed back, %d left unsettled",
        Duration.ofNanos(System.nanoTime() - started).toMillis(),
        atStop,
        finished ? 0 : cut,
        inHand.size());
  }

  /** Waits until no job is in hand, or {@code patience} passed; whether none is. */
  private boolean awaitInHand(Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (!inHand.stream().allMatch(Held::handedBack) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return inHand.stream().allMatch(Held::handedBack);
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
    if (draining) {
      // Arrived as the stop began: left unsettled, for another worker once the connection closes.
      return CompletableFuture.completedFuture(null);
    }
    Held held = new Held(message, job, spans.on() ? received(message, job) : null);
    inHand.add(held);
    held.handOverAfter(handover);
    executor.execute(job).subscribe().with(held::finished);
    return CompletableFuture.completedFuture(null);
  }

  /** The job's consumer span, in the trace its message's headers carry. */
  private Span received(Message<Object> message, JobMessage job) {
    String carried =
        message
            .getMetadata(IncomingRabbitMQMetadata.class)
            .map(metadata -> TraceContexts.fromHeaders(metadata.getHeaders()))
            .orElse(null);
    return spans.received(job.jobId(), queueName, carried);
  }

  /** A message whose job runs here: settled once, by its outcome or by the handover. */
  private final class Held {
    private final Message<Object> message;
    private final JobMessage job;
    private final Span span;
    private final AtomicBoolean settled = new AtomicBoolean();
    private volatile long timer;
    private volatile boolean handedBack;

    Held(Message<Object> message, JobMessage job, Span span) {
      this.message = message;
      this.job = job;
      this.span = span;
    }

    void handOverAfter(Duration delay) {
      timer = vertx.setTimer(delay.toMillis(), id -> handOver());
    }

    /**
     * Acks the message if the job is leased here. A job still waiting for admission (a governor or
     * Redis that is slow to answer) has nothing but its message: the message stays held, and the
     * check comes again, until the claim or the outcome.
     */
    private void handOver() {
      if (settled.get()) {
        return;
      }
      executor
          .leasedHere(job.jobId())
          .subscribe()
          .with(
              leased -> {
                if (leased && settled.compareAndSet(false, true)) {
                  Log.infof("Job(id=%s) still running; its lease now guards it alone", job.jobId());
                  handedOver.increment();
                  message.ack();
                } else if (!settled.get()) {
                  Log.infof(
                      "Job(id=%s) not claimed yet at the handover; its message stays held",
                      job.jobId());
                  handOverAfter(HANDOVER_RECHECK);
                }
              },
              failure -> handOverAfter(HANDOVER_RECHECK));
    }

    /** Handed back unclaimed by a stopping worker: its message stays for the broker to return. */
    boolean handedBack() {
      return handedBack;
    }

    void finished(Outcome outcome) {
      vertx.cancelTimer(timer);
      if (span != null) {
        spans.finished(job.jobId(), span, outcome.name().toLowerCase(java.util.Locale.ROOT));
      }
      if (outcome == Outcome.HAND_BACK) {
        handedBack = true;
        return;
      }
      inHand.remove(this);
      if (settled.compareAndSet(false, true)) {
        settle(message, outcome);
      }
    }
  }

  private void settle(Message<Object> message, Outcome outcome) {
    switch (outcome) {
      case ACK -> message.ack();
      case HAND_BACK -> {
        // Left unsettled: see Outcome.HAND_BACK.
      }
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
