package io.llmq.common.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.telemetry.TraceContexts;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Publishes job messages and completes only when the broker has confirmed them (the channel runs
 * with publisher confirms). Callers keep their outbox row until then. A confirm that does not come
 * within {@link #CONFIRM_TIMEOUT} (the connection dropped with the publish in flight) counts as a
 * failure: the row stays, and is published again; consumers take duplicates in their stride.
 *
 * <p>A message carries its job's trace context in the {@code traceparent} (and {@code tracestate})
 * header. With tracing on, each publish is a producer span, a child of the job's stored context (a
 * new trace when it has none), and the header names that span; the connector's own tracing is off
 * on the channel, so nothing else writes the header.
 */
@ApplicationScoped
public class JobPublisher {

  /** Outgoing channel name in both apps' configuration. */
  public static final String CHANNEL = "jobs-out";

  static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);

  private final Emitter<String> emitter;
  private final JobTopology topology;
  private final QueueConfig queue;
  private final ObjectMapper json;
  private final TraceContexts traces;

  JobPublisher(
      @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 8192)
          Emitter<String> emitter,
      JobTopology topology,
      QueueConfig queue,
      ObjectMapper json,
      TraceContexts traces) {
    this.traces = traces;
    this.emitter = emitter;
    this.topology = topology;
    this.queue = queue;
    this.json = json;
  }

  /** Publishes one message; the Uni fails if the broker refuses it or is unreachable. */
  public Uni<Void> publish(JobMessage message) {
    return publish(message, null);
  }

  /**
   * Publishes one message in its job's trace: {@code traceContext} is the job's stored trace
   * context ({@link TraceContexts}), null for none.
   */
  public Uni<Void> publish(JobMessage message, String traceContext) {
    return topology.ensureDeclared().chain(() -> send(message, traceContext));
  }

  private Uni<Void> send(JobMessage message, String traceContext) {
    if (!traces.on()) {
      return send(message, TraceContexts.headers(traceContext));
    }
    Context parent = TraceContexts.parent(traceContext);
    Span span =
        traces
            .tracer()
            .spanBuilder(queue.exchange() + " publish")
            .setParent(parent)
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute("messaging.system", "rabbitmq")
            .setAttribute("messaging.operation.type", "send")
            .setAttribute("messaging.operation.name", "publish")
            .setAttribute("messaging.destination.name", queue.exchange())
            .setAttribute("messaging.rabbitmq.destination.routing_key", queue.routingKey())
            .setAttribute("messaging.message.id", message.jobId().toString())
            .setAttribute("llmq.job.id", message.jobId().toString())
            .startSpan();
    String sent = TraceContexts.stored(parent.with(span));
    return send(message, TraceContexts.headers(sent))
        .onItemOrFailure()
        .invoke((ignored, failure) -> {
          if (failure != null) {
            span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
          }
          span.end();
        })
        .onCancellation()
        .invoke(span::end);
  }

  private Uni<Void> send(JobMessage message, Map<String, Object> headers) {
    String body;
    try {
      body = json.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      return Uni.createFrom().failure(e);
    }
    OutgoingRabbitMQMetadata.Builder metadata =
        OutgoingRabbitMQMetadata.builder()
            .withRoutingKey(queue.routingKey())
            .withContentType("application/json")
            .withDeliveryMode(2)
            .withMessageId(message.jobId().toString());
    headers.forEach(metadata::withHeader);
    CompletableFuture<Void> confirmed = new CompletableFuture<>();
    Message<String> outgoing =
        Message.of(
            body,
            Metadata.of(metadata.build()),
            () -> {
              confirmed.complete(null);
              return CompletableFuture.completedFuture(null);
            },
            failure -> {
              confirmed.completeExceptionally(failure);
              return CompletableFuture.completedFuture(null);
            });
    try {
      emitter.send(outgoing);
    } catch (RuntimeException overflowOrClosed) {
      return Uni.createFrom().failure(overflowOrClosed);
    }
    return Uni.createFrom().completionStage(confirmed).ifNoItem().after(CONFIRM_TIMEOUT).fail();
  }
}
