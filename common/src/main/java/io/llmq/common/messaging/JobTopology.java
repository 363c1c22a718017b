package io.llmq.common.messaging;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Declares the job exchange, the quorum queue, its dead-letter exchange and queue. Both apps
 * declare it, so a job published before any worker ever started is never unroutable. The worker's
 * channel declares the main queue with {@link #queueArguments()}, the same map used here, so the
 * two declarations are always equivalent (RabbitMQ refuses inequivalent ones).
 */
@ApplicationScoped
public class JobTopology {

  /** Bean id of the main queue's arguments, referenced from the worker's channel configuration. */
  public static final String QUEUE_ARGUMENTS = "llmq-job-queue-arguments";

  private final Vertx vertx;
  private final QueueConfig queue;
  private final RabbitMQOptions options;
  private final AtomicReference<Uni<Void>> declared = new AtomicReference<>();

  JobTopology(
      Vertx vertx,
      QueueConfig queue,
      @ConfigProperty(name = "rabbitmq-host") String host,
      @ConfigProperty(name = "rabbitmq-port") int port,
      @ConfigProperty(name = "rabbitmq-username") String username,
      @ConfigProperty(name = "rabbitmq-password") String password,
      @ConfigProperty(name = "rabbitmq-virtual-host", defaultValue = "/") String virtualHost) {
    this.vertx = vertx;
    this.queue = queue;
    this.options =
        new RabbitMQOptions()
            .setHost(host)
            .setPort(port)
            .setUser(username)
            .setPassword(password)
            .setVirtualHost(virtualHost)
            .setConnectionName("llmq topology")
            .setReconnectAttempts(0);
  }

  /** How the apps reach the broker, for a connection of another name. */
  public RabbitMQOptions options(String connectionName) {
    return new RabbitMQOptions(options).setConnectionName(connectionName);
  }

  @Produces
  @Identifier(QUEUE_ARGUMENTS)
  Map<String, Object> queueArguments() {
    return Map.of(
        "x-queue-type", "quorum",
        "x-delivery-limit", queue.deliveryLimit(),
        "x-dead-letter-exchange", queue.deadLetterExchange(),
        "x-dead-letter-routing-key", queue.deadLetterQueue());
  }

  /** Declares at start-up, retrying in the background until the broker answers. */
  void onStart(@Observes StartupEvent start) {
    Uni.createFrom()
        .deferred(this::ensureDeclared)
        .onFailure()
        .retry()
        .withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30))
        .indefinitely()
        .subscribe()
        .with(ignored -> {}, failure -> Log.error("RabbitMQ topology never declared", failure));
  }

  /**
   * Completes once the topology exists. The first success is remembered; a failure is not, so the
   * next caller tries again (the broker may be down).
   */
  public Uni<Void> ensureDeclared() {
    Uni<Void> current = declared.get();
    if (current != null) {
      return current;
    }
    Uni<Void> attempt =
        declare()
            .onFailure()
            .invoke(failure -> {
              declared.set(null);
              Log.warnf("RabbitMQ topology not declared yet: %s", failure.getMessage());
            })
            .memoize()
            .indefinitely();
    return declared.compareAndSet(null, attempt) ? attempt : declared.get();
  }

  private Uni<Void> declare() {
    RabbitMQClient client = RabbitMQClient.create(vertx, options);
    JsonObject quorum = new JsonObject().put("x-queue-type", "quorum");
    return client
        .start()
        .chain(() -> client.exchangeDeclare(queue.exchange(), "direct", true, false))
        .chain(() -> client.exchangeDeclare(queue.deadLetterExchange(), "direct", true, false))
        .chain(() -> client.queueDeclare(queue.deadLetterQueue(), true, false, false, quorum))
        .chain(() ->
            client.queueBind(
                queue.deadLetterQueue(), queue.deadLetterExchange(), queue.deadLetterQueue()))
        .chain(() ->
            client.queueDeclare(queue.name(), true, false, false, new JsonObject(queueArguments())))
        .chain(() -> client.queueBind(queue.name(), queue.exchange(), queue.routingKey()))
        .invoke(() -> Log.infof("RabbitMQ topology declared: queue %s", queue.name()))
        .replaceWithVoid()
        .eventually(() -> client.stop().onFailure().recoverWithNull());
  }
}
