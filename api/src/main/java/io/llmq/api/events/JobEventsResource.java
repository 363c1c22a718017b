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
  public Multi<OutboundSseEvent> events(@RestPath String id, @Context Sse sse) {
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
