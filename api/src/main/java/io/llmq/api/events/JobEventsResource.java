package io.llmq.api.events;

import io.llmq.api.auth.Requires;
import io.llmq.api.auth.Scope;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseHeader;
import org.jboss.resteasy.reactive.RestPath;

/**
 * A job's progress as server-sent events (SPEC §2 Progress stream): {@code status}, {@code delta}
 * and {@code done} events with per-job ids, a {@code : keep-alive} comment when quiet, resumption
 * after {@code Last-Event-ID}, and the end of the stream after {@code done}. A stopping api ends
 * each stream with a {@code reconnect} event naming the last event id sent. {@link EventsGuard} has
 * already checked the job is the caller's.
 */
@Path("/v1/jobs/{id}/events")
@Tag(name = "Events")
public class JobEventsResource {

  /** The {@code retry:} of a {@code reconnect} event: how soon a client should come back. */
  private static final long RECONNECT_DELAY_MS = 1000;

  private final EventHub hub;
  private final OpeningHolder opening;

  JobEventsResource(EventHub hub, OpeningHolder opening) {
    this.hub = hub;
    this.opening = opening;
  }

  @GET
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Requires(Scope.JOBS_READ)
  @ResponseHeader(name = "Cache-Control", value = "no-cache")
  @ResponseHeader(name = "X-Accel-Buffering", value = "no")
  @Operation(
      summary = "Follow a job's progress",
      description =
          "Server-sent events, each with an id: that increases by one per job from 1. event:"
              + " status carries the Job (schema Job) at every status change; event: delta carries"
              + " output as it is generated (schema Delta); event: done carries the terminal Job,"
              + " then the stream ends. A ': keep-alive' comment comes at least every 15 s. A"
              + " client that reconnects with Last-Event-ID: k gets every event after k, for at"
              + " least an hour after the job ended; a finished job's stream replays and closes."
              + " A stream that cannot go on ends with event: error; one whose server is"
              + " stopping ends with event: reconnect (retry: 1000, data {code, message,"
              + " last_event_id}): reconnect with that Last-Event-ID.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:read")
  @Parameter(
      name = "Last-Event-ID",
      in = ParameterIn.HEADER,
      description = "Resume after this event id.",
      schema = @Schema(type = SchemaType.INTEGER, minimum = "0"))
  @APIResponse(
      responseCode = "200",
      description = "The event stream.",
      content =
          @Content(
              mediaType = MediaType.SERVER_SENT_EVENTS,
              schema = @Schema(type = SchemaType.STRING),
              example =
                  "id: 1\nevent: status\ndata: {\"id\":\"…\",\"status\":\"queued\",…}\n\n"
                      + "id: 2\nevent: delta\ndata: {\"content\":\"Hel\",\"completion_tokens\":1}\n\n"))
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "406", ref = "NotAcceptable")
  public Multi<OutboundSseEvent> events(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "JobId") @RestPath String id,
      @Context Sse sse) {
    return hub.open(opening.get()).map(frame -> toSse(sse, frame));
  }

  private static OutboundSseEvent toSse(Sse sse, Frame frame) {
    return switch (frame) {
      case Frame.Event(var event) ->
          sse.newEventBuilder()
              .id(Long.toString(event.id()))
              .name(event.type())
              .data(String.class, event.data())
              .build();
      case Frame.KeepAlive() -> sse.newEventBuilder().comment(" keep-alive").build();
      case Frame.Failure(var data) ->
          sse.newEventBuilder().name("error").data(String.class, data).build();
      case Frame.Reconnect(var lastEventId) ->
          sse.newEventBuilder()
              .name("reconnect")
              .reconnectDelay(RECONNECT_DELAY_MS)
              .data(
                  String.class,
                  "{\"code\":\"service_unavailable\",\"message\":\"This server is stopping;"
                      + " reconnect with Last-Event-ID to resume.\",\"last_event_id\":"
                      + lastEventId
                      + "}")
              .build();
    };
  }
}
