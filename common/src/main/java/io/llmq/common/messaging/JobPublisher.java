package io.llmq.common.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
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

  JobPublisher(
      @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 8192)
          Emitter<String> emitter,
      JobTopology topology,
      QueueConfig queue,
      ObjectMapper json) {
    this.emitter = emitter;
    this.topology = topology;
    this.queue = queue;
    this.json = json;
  }

  /** Publishes one message; the Uni fails if the broker refuses it or is unreachable. */
  public Uni<Void> publish(JobMessage message) {
    return topology.ensureDeclared().chain(() -> send(message));
  }

  private Uni<Void> send(JobMessage message) {
    String body;
    try {
      body = json.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      return Uni.createFrom().failure(e);
    }
    OutgoingRabbitMQMetadata metadata =
        OutgoingRabbitMQMetadata.builder()
            .withRoutingKey(queue.routingKey())
            .withContentType("application/json")
            .withDeliveryMode(2)
            .withMessageId(message.jobId().toString())
            .build();
    CompletableFuture<Void> confirmed = new CompletableFuture<>();
    Message<String> outgoing =
        Message.of(
            body,
            Metadata.of(metadata),
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
