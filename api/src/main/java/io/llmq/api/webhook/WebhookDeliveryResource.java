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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.RestPath;

/**
 * A job's webhook deliveries (SPEC §2 Webhooks): the attempts made so far, and redelivery on
 * request. Another tenant's job is a 404, as everywhere.
 */
@Path("/v1/jobs/{id}/webhook-deliveries")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
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
  @Operation(
      summary = "List a job's webhook deliveries",
      description = "Where the webhook goes, its message id, and every attempt, oldest first.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:read")
  @APIResponse(responseCode = "200", description = "The job's webhook and its attempts.")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<DeliveriesResponse> list(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "JobId") @RestPath String id) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    MDC.put("jobId", jobId.toString());
    return deliveries.list(caller.get().tenantId(), jobId);
  }

  /** 202: the webhook is due now; a worker sends it within moments. */
  @POST
  @Path("/redeliver")
  @Requires(Scope.JOBS_WRITE)
  @Operation(
      summary = "Send a job's webhook again",
      description =
          "A delivery waiting for its next retry is tried now; otherwise the same message (same"
              + " id, same body) is delivered again. A job without webhook_url, or not ended, is"
              + " 409.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:write")
  @APIResponse(
      responseCode = "202",
      description = "The webhook is due now; a worker sends it within moments.",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = DeliveriesResponse.class)))
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  public Uni<Response> redeliver(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "JobId") @RestPath String id) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    MDC.put("jobId", jobId.toString());
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
