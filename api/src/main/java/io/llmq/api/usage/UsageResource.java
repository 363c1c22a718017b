package io.llmq.api.usage;

import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.auth.Requires;
import io.llmq.api.auth.Scope;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A tenant's own usage report (SPEC §2 Usage), from the usage ledger. */
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Usage")
public class UsageResource {

  private final UsageRepository usage;
  private final CurrentCaller caller;

  UsageResource(UsageRepository usage, CurrentCaller caller) {
    this.usage = usage;
    this.caller = caller;
  }

  @GET
  @Requires(Scope.USAGE_READ)
  @Operation(
      summary = "Read the tenant's usage",
      description =
          "Requests (every upstream attempt), tokens and cost of a period, per UTC day or per"
              + " model. cost_usd adds up exactly to the cost_usd of the tenant's jobs.")
  @SecurityRequirement(name = "TenantKey", scopes = "usage:read")
  @Parameter(name = "from", in = ParameterIn.QUERY, ref = "UsageFrom")
  @Parameter(name = "to", in = ParameterIn.QUERY, ref = "UsageTo")
  @Parameter(name = "group_by", in = ParameterIn.QUERY, ref = "UsageGroupBy")
  @APIResponse(responseCode = "200", description = "The usage report.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  public Uni<UsageReport> report(UriInfo uri) {
    UsageQuery query = UsageQuery.parse(uri.getQueryParameters(), Instant.now());
    // The caller's key was just resolved with its tenant, so the tenant exists.
    return usage.report(caller.get().tenantId(), query).map(Optional::orElseThrow);
  }
}
