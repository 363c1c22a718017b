package io.llmq.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.Caller;
import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.auth.Requires;
import io.llmq.api.auth.Scope;
import io.llmq.api.budget.BudgetGate;
import io.llmq.api.config.ApiConfig;
import io.llmq.api.http.Cursor;
import io.llmq.api.http.Page;
import io.llmq.api.problem.PathIds;
import io.llmq.api.problem.ProblemException;
import io.llmq.api.ratelimit.RateLimits;
import io.llmq.api.ratelimit.Verdict;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobView;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** Submit, read, list and cancel jobs (SPEC §2 Submit, The job). */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {

  private final JobService service;
  private final SubmitParser parser;
  private final CurrentCaller caller;
  private final RateLimits limits;
  private final ApiConfig config;
  private final BudgetGate budgets;

  JobResource(
      JobService service,
      SubmitParser parser,
      CurrentCaller caller,
      RateLimits limits,
      ApiConfig config,
      BudgetGate budgets) {
    this.service = service;
    this.parser = parser;
    this.caller = caller;
    this.limits = limits;
    this.config = config;
    this.budgets = budgets;
  }

  /**
   * Submits a job. The body is validated first (a 400 costs no rate limit), then the caller's rate
   * limits are charged (a 429 creates nothing; see {@link RateLimits}), then its budget is checked
   * ({@link BudgetGate}), before anything is stored.
   */
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Requires(Scope.JOBS_WRITE)
  public Uni<Response> submit(
      JsonNode body,
      @RestHeader("Idempotency-Key") String idempotencyKey,
      @RestHeader("Prefer") String prefer,
      UriInfo uri) {
    Caller who = caller.get();
    NewJob job = parser.parse(body, who.tenantId(), who.keyId(), idempotencyKey);
    Duration wait = Prefer.waitOf(prefer, config.maxWait());
    return parser
        .checkTarget(job)
        .onItemOrFailure()
        .transformToUni((checked, refusal) ->
            refusal == null
                ? limits
                    .admit(who)
                    .chain(verdict -> withinBudget(who, job).map(s -> new Accepted(s, verdict)))
                : service
                    .replayOrRefuse(job, refusal)
                    .chain(replay -> limits.admit(who).map(v -> new Accepted(replay, v))))
        .chain(accepted -> {
          JobService.Submitted submitted = accepted.submitted();
          if (wait.isZero() || submitted.job().isTerminal()) {
            return Uni.createFrom().item(accepted);
          }
          // The job is stored whatever happens now: a failed wait answers with what was stored
          // (202), never with an error that would invite a duplicate submit. The limits are
          // looked at again for the answer's headers: the check's are as old as the wait.
          return service
              .get(who.tenantId(), submitted.job().id(), wait)
              .map(accepted::with)
              .onFailure()
              .recoverWithItem(accepted)
              .chain(waited -> limits.peek(who).map(waited::with));
        })
        .map(accepted -> submitResponse(accepted, wait, uri));
  }

  /**
   * Stores the job if its caller's budget has room (402 otherwise; the budget is checked after the
   * rate limit, so a client looping on a used-up budget is slowed by 429s); a refused submit is
   * still answered with its job when it is an idempotent replay.
   */
  private Uni<JobService.Submitted> withinBudget(Caller who, NewJob job) {
    return budgets
        .admit(who, job.model())
        .onItemOrFailure()
        .transformToUni(
            (ok, over) -> over == null ? service.submit(job) : service.replayOrRefuse(job, over));
  }

  /** A submission that passed the rate limits, and what they said (the answer's headers). */
  private record Accepted(JobService.Submitted submitted, Verdict verdict) {

    Accepted with(JobRow latest) {
      return new Accepted(new JobService.Submitted(latest, submitted.replay()), verdict);
    }

    Accepted with(Verdict now) {
      return new Accepted(submitted, now);
    }
  }

  private static Response submitResponse(Accepted accepted, Duration wait, UriInfo uri) {
    JobService.Submitted submitted = accepted.submitted();
    JobRow job = submitted.job();
    boolean answered = !wait.isZero() && job.isTerminal();
    Response.ResponseBuilder response =
        submitted.replay() || answered ? Response.ok() : Response.accepted();
    URI location = uri.getBaseUriBuilder().path("/v1/jobs/" + job.id()).build();
    response.location(location).entity(job.view());
    if (answered) {
      response.header("Preference-Applied", "wait=" + wait.toSeconds());
    }
    accepted.verdict().headers().forEach(response::header);
    return response.build();
  }

  @GET
  @Path("/{id}")
  @Requires(Scope.JOBS_READ)
  public Uni<JobView> get(@RestPath String id, @RestQuery("wait_seconds") String waitSeconds) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    Duration wait = Duration.ofSeconds(seconds(waitSeconds));
    return service.get(caller.get().tenantId(), jobId, wait).map(JobRow::view);
  }

  @GET
  @Requires(Scope.JOBS_READ)
  public Uni<Page<JobView>> list(
      @RestQuery String status, @RestQuery String limit, @RestQuery String after) {
    JobStatus filter = status == null || status.isEmpty() ? null : status(status);
    int size = Page.size(limit);
    Cursor cursor = Page.after(after);
    return service
        .page(caller.get().tenantId(), filter, cursor, size + 1)
        .map(jobs ->
            Page.of(jobs, size, job -> new Cursor(job.createdAt(), job.id()), JobRow::view));
  }

  @POST
  @Path("/{id}/cancel")
  @Requires(Scope.JOBS_WRITE)
  public Uni<JobView> cancel(@RestPath String id) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    return service.cancel(caller.get().tenantId(), jobId).map(JobRow::view);
  }

  private long seconds(String waitSeconds) {
    if (waitSeconds == null || waitSeconds.isEmpty()) {
      return 0;
    }
    long max = config.maxWait().toSeconds();
    try {
      long value = Long.parseLong(waitSeconds);
      if (value >= 0 && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ProblemException.invalid("'wait_seconds' must be an integer from 0 to " + max + ".");
  }

  private static JobStatus status(String status) {
    try {
      return JobStatus.fromWire(status);
    } catch (IllegalArgumentException e) {
      throw ProblemException.invalid(
          "'status' must be one of queued, running, succeeded, failed, cancelled, expired.");
    }
  }
}
