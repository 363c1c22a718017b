package io.llmq.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.Caller;
import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.auth.Requires;
import io.llmq.api.auth.Scope;
import io.llmq.api.budget.BudgetGate;
import io.llmq.api.capacity.CapacityGate;
import io.llmq.api.config.ApiConfig;
import io.llmq.api.context.ContextWindow;
import io.llmq.api.http.Cursor;
import io.llmq.api.http.Page;
import io.llmq.api.problem.PathIds;
import io.llmq.api.problem.ProblemException;
import io.llmq.api.ratelimit.RateLimits;
import io.llmq.api.ratelimit.Verdict;
import io.llmq.common.governor.QueuePositions;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobView;
import io.quarkus.logging.Log;
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
import java.time.ZoneOffset;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** Submit, read, list and cancel jobs (SPEC §2 Submit, The job). */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Jobs")
public class JobResource {

  private final JobService service;
  private final SubmitParser parser;
  private final CurrentCaller caller;
  private final RateLimits limits;
  private final ApiConfig config;
  private final BudgetGate budgets;
  private final QueuePositions positions;
  private final CapacityGate capacity;
  private final ContextWindow windows;

  JobResource(
      JobService service,
      SubmitParser parser,
      CurrentCaller caller,
      RateLimits limits,
      ApiConfig config,
      BudgetGate budgets,
      QueuePositions positions,
      CapacityGate capacity,
      ContextWindow windows) {
    this.service = service;
    this.parser = parser;
    this.caller = caller;
    this.limits = limits;
    this.config = config;
    this.budgets = budgets;
    this.positions = positions;
    this.capacity = capacity;
    this.windows = windows;
  }

  /**
   * Submits a job. The body is validated first (a 400 costs no rate limit), then fitted to its
   * model's context window ({@link ContextWindow}: refused, or trimmed under {@code context_policy
   * trim}), and checked whether it can ever fit the token limits on its way ({@link CapacityGate});
   * both refusals are 400s, still an idempotent replay of a job accepted before a limit was
   * lowered. Then the caller's rate limits are charged (a 429 creates nothing; see {@link
   * RateLimits}), then its budget is checked ({@link BudgetGate}), before anything is stored.
   */
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Requires(Scope.JOBS_WRITE)
  @Operation(
      summary = "Submit a job",
      description =
          "Stores the job and queues it. With Prefer: wait=N (N up to 60) the call waits up to N"
              + " seconds for the job to end. A replay with the same Idempotency-Key and body"
              + " within 24 h answers the same job with 200; the same key with another body is"
              + " 409.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:write")
  @RequestBody(
      required = true,
      content =
          @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "SubmitRequest")))
  @APIResponse(
      responseCode = "202",
      description = "Accepted: the job is durable and will reach a terminal status.",
      headers = @Header(name = "Location", ref = "Location"),
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = JobView.class)))
  @APIResponse(
      responseCode = "200",
      description = "An idempotent replay, or a job that ended within Prefer: wait=N.",
      headers = {
        @Header(name = "Location", ref = "Location"),
        @Header(name = "Preference-Applied", ref = "Preference-Applied")
      },
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = JobView.class)))
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "402", ref = "BudgetExceeded")
  @APIResponse(responseCode = "409", ref = "Conflict")
  @APIResponse(responseCode = "413", ref = "PayloadTooLarge")
  @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
  @APIResponse(responseCode = "429", ref = "RateLimited")
  public Uni<Response> submit(
      JsonNode body,
      @Parameter(
              description = "Makes a retried submit safe: 1 to 255 characters.",
              schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255))
          @RestHeader("Idempotency-Key")
          String idempotencyKey,
      @Parameter(
              description = "wait=N (RFC 7240): wait up to N seconds (at most 60) for the end.",
              example = "wait=30")
          @RestHeader("Prefer")
          String prefer,
      UriInfo uri) {
    Caller who = caller.get();
    NewJob job = parser.parse(body, who.tenantId(), who.keyId(), idempotencyKey);
    Duration wait = Prefer.waitOf(prefer, config.maxWait());
    return Uni.createFrom()
        .item(job)
        .map(parsed ->
            parsed.fitted(windows.fit(parsed.model(), parsed.request(), parsed.contextPolicy())))
        .invoke(parsed -> capacity.check(who, parsed.model(), parsed.request()))
        .chain(parser::checkTarget)
        .onItemOrFailure()
        .transformToUni((checked, refusal) ->
            refusal == null
                ? limits
                    .admit(who)
                    .chain(verdict -> withinBudget(who, checked).map(s -> new Accepted(s, verdict)))
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
    MDC.put("jobId", job.id().toString());
    Log.debugf("Job(id=%s) accepted%s", job.id(), submitted.replay() ? " (a replay)" : "");
    boolean answered = !wait.isZero() && job.isTerminal();
    Response.ResponseBuilder response =
        submitted.replay() || answered ? Response.ok() : Response.accepted();
    URI location = uri.getBaseUriBuilder().path("/v1/jobs/" + job.id()).build();
    response.location(location);
    if (submitted.json() != null) {
      // The text its first event carries: the view is serialized once per submit.
      response.entity(submitted.json()).type(MediaType.APPLICATION_JSON_TYPE);
    } else {
      response.entity(job.view());
    }
    if (answered) {
      response.header("Preference-Applied", "wait=" + wait.toSeconds());
    }
    accepted.verdict().headers().forEach(response::header);
    return response.build();
  }

  @GET
  @Path("/{id}")
  @Requires(Scope.JOBS_READ)
  @Operation(
      summary = "Read a job",
      description =
          "With wait_seconds=N, answers as soon as the job is terminal, or after N seconds with"
              + " its current state.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:read")
  @APIResponse(responseCode = "200", description = "The job.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<JobView> get(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "JobId") @RestPath String id,
      @Parameter(
              description = "Long-poll for up to this many seconds, 0 to 60.",
              schema = @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = "60"))
          @RestQuery("wait_seconds")
          String waitSeconds) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    MDC.put("jobId", jobId.toString());
    Duration wait = Duration.ofSeconds(seconds(waitSeconds));
    return service.get(caller.get().tenantId(), jobId, wait).chain(positions::view);
  }

  @GET
  @Requires(Scope.JOBS_READ)
  @Operation(summary = "List jobs", description = "The tenant's jobs, newest first.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:read")
  @APIResponse(responseCode = "200", description = "A page of jobs.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  public Uni<Page<JobView>> list(
      @Parameter(
              description = "Only jobs with this status.",
              schema =
                  @Schema(
                      type = SchemaType.STRING,
                      enumeration = {
                        "queued",
                        "running",
                        "succeeded",
                        "failed",
                        "cancelled",
                        "expired"
                      }))
          @RestQuery
          String status,
      @Parameter(name = "limit", in = ParameterIn.QUERY, ref = "Limit") @RestQuery String limit,
      @Parameter(name = "after", in = ParameterIn.QUERY, ref = "After") @RestQuery String after) {
    JobStatus filter = status == null || status.isEmpty() ? null : status(status);
    int size = Page.size(limit);
    Cursor cursor = Page.after(after);
    return service
        .page(caller.get().tenantId(), filter, cursor, size + 1)
        .chain(positions::views)
        .map(jobs ->
            Page.of(
                jobs,
                size,
                job -> new Cursor(job.createdAt().atOffset(ZoneOffset.UTC), job.id()),
                job -> job));
  }

  @POST
  @Path("/{id}/cancel")
  @Requires(Scope.JOBS_WRITE)
  @Operation(
      summary = "Cancel a job",
      description =
          "A queued job is cancelled at once, a running one within 2 s (its upstream call is"
              + " aborted). A job that has already ended is 409.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:write")
  @APIResponse(responseCode = "200", description = "The job, cancelled or being cancelled.")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  public Uni<JobView> cancel(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "JobId") @RestPath String id) {
    UUID jobId = PathIds.parse(id, "No job with this id.");
    MDC.put("jobId", jobId.toString());
    Log.debugf("Job(id=%s) cancel asked", jobId);
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
