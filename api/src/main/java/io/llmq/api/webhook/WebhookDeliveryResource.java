package io.llmq.api.webhook;

import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.auth.Requires;
import io.llmq.api.auth.Scope;
import io.llmq.api.problem.PathIds;
import io.llmq.common.messaging.JobNotices;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestPath;

/**
 * A job's webhook deliveries (SPEC §2 Webhooks): the attempts made so far, and redelivery on
 * request. Another tenant's job is a 404, as everywhere.
 */
@Path("/v1/jobs/{id}/webhook-deliveries")
@Produces(MediaType.APPLICATION_JSON)
public class WebhookDeliveryResource {

  private final DeliveryRepository deliveries;
  private final CurrentCaller caller;
  private final ReactiveRedisDataSource redis;

  WebhookDeliveryResource(
      DeliveryRepository deliveries, CurrentCaller caller, ReactiveRedisDataSource redis) {
    this.deliveries = deliveries;
    this.caller = caller;
    this.redis = redis;
  }

  @GET
  @Requires(Scope.JOBS_READ)
  public Uni<DeliveriesResponse> list(@RestPath String id) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    return deliveries.list(caller.get().tenantId(), jobId);
  }

  /** 202: the webhook is due now; a worker sends it within moments. */
  @POST
  @Path("/redeliver")
  @Requires(Scope.JOBS_WRITE)
  public Uni<Response> redeliver(@RestPath String id) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    return deliveries
        .redeliver(caller.get().tenantId(), jobId)
        .invoke(() ->
            redis
                .pubsub(String.class)
                .publish(JobNotices.WEBHOOKS_DUE, jobId.toString())
                .subscribe()
                .with(
                    ignored -> {}, failure -> Log.debugf("Job(id=%s) webhook notice lost", jobId)))
        .map(body -> Response.accepted(body).build());
  }
}
