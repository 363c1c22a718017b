package io.llmq.common.messaging;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.rabbitmq.RabbitMQClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness follows the broker (SPEC §5: ready only when PostgreSQL, RabbitMQ and Redis answer),
 * liveness never does. The messaging connector's own readiness cannot say it: an outgoing channel
 * connects lazily, so an api that has not published yet reports ready with the broker away. This
 * check holds one connection of its own, which the client re-establishes by itself after an outage
 * (automatic recovery, every 2 s), and reports whether it is open now.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements AsyncHealthCheck {

  private static final long RECOVERY_INTERVAL_MS = 2000;

  private final RabbitMQClient client;

  BrokerReadiness(Vertx vertx, JobTopology topology) {
    this.client =
        RabbitMQClient.create(
            vertx,
            topology
                .options("llmq readiness")
                .setAutomaticRecoveryEnabled(true)
                .setNetworkRecoveryInterval(RECOVERY_INTERVAL_MS)
                .setReconnectAttempts(Integer.MAX_VALUE)
                .setReconnectInterval(RECOVERY_INTERVAL_MS));
  }

  void start(@Observes StartupEvent event) {
    client
        .start()
        .subscribe()
        .with(
            ignored -> {},
            failure -> Log.debugf("Readiness connection to RabbitMQ not up yet: %s", failure));
  }

  void stop(@Observes ShutdownEvent event) {
    client.stop().subscribe().with(ignored -> {}, failure -> {});
  }

  @Override
  public Uni<HealthCheckResponse> call() {
    return Uni.createFrom()
        .item(HealthCheckResponse.named("RabbitMQ broker").status(client.isConnected()).build());
  }
}
