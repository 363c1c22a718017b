package io.llmq.api.events;

import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.problem.PathIds;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.job.JobRow;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Decides whether an SSE stream may open, before it does: once a stream's headers are out, an error
 * can no longer be a problem+json answer. Another tenant's job, or a job that does not exist, is a
 * 404; a {@code Last-Event-ID} that is not an event id is a 400. Runs after {@code AuthFilter}.
 */
public class EventsGuard {

  private static final String FIND =
      "SELECT " + JobRow.COLUMNS + " FROM jobs WHERE id = $1 AND tenant_id = $2";
  private static final long MAX_EVENT_ID = Integer.MAX_VALUE;

  private final Pool pool;
  private final CurrentCaller caller;
  private final OpeningHolder holder;

  EventsGuard(Pool pool, CurrentCaller caller, OpeningHolder holder) {
    this.pool = pool;
    this.caller = caller;
    this.holder = holder;
  }

  @ServerRequestFilter(priority = Priorities.USER + 10)
  public Uni<Void> open(ContainerRequestContext request, ResourceInfo resource) {
    if (resource.getResourceClass() != JobEventsResource.class) {
      return Uni.createFrom().voidItem();
    }
    var jobId =
        PathIds.parse(
            request.getUriInfo().getPathParameters().getFirst("id"), "No job with this id.");
    MDC.put("jobId", jobId.toString());
    long after = lastEventId(request.getHeaderString("Last-Event-ID"));
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(jobId, caller.get().tenantId()))
        .invoke(rows -> {
          if (rows.size() == 0) {
            throw ProblemException.notFound("No job with this id.");
          }
          JobRow job = JobRow.from(rows.iterator().next());
          holder.set(new Opening(job.view(), job.terminalEventId(), after));
          Log.debugf("Job(id=%s) event stream opened after event %d", jobId, after);
        })
        .replaceWithVoid();
  }

  private static long lastEventId(String header) {
    if (header == null || header.isBlank()) {
      return 0;
    }
    try {
      long id = Long.parseLong(header.trim());
      if (id >= 0 && id <= MAX_EVENT_ID) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ProblemException.invalid("Last-Event-ID must be an event id this stream sent.");
  }
}
