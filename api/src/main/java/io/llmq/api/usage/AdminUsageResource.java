package io.llmq.api.usage;

import io.llmq.api.auth.AdminOnly;
import io.llmq.api.problem.PathIds;
import io.llmq.api.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;

/** Any tenant's usage report for the admin: the same parameters and body as the tenant's own. */
@Path("/v1/admin/tenants/{id}/usage")
@AdminOnly
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
@SecurityRequirement(name = "AdminToken")
public class AdminUsageResource {

  private static final String NO_TENANT = "No tenant with this id.";

  private final UsageRepository usage;

  AdminUsageResource(UsageRepository usage) {
    this.usage = usage;
  }

  @GET
  @Operation(
      summary = "Read a tenant's usage",
      description = "The same report as GET /v1/usage, for any tenant.")
  @Parameter(name = "from", in = ParameterIn.QUERY, ref = "UsageFrom")
  @Parameter(name = "to", in = ParameterIn.QUERY, ref = "UsageTo")
  @Parameter(name = "group_by", in = ParameterIn.QUERY, ref = "UsageGroupBy")
  @APIResponse(responseCode = "200", description = "The usage report.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<UsageReport> report(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "TenantId") @RestPath String id,
      UriInfo uri) {
    UUID tenantId = PathIds.parse(id, NO_TENANT);
    UsageQuery query = UsageQuery.parse(uri.getQueryParameters(), Instant.now());
    return usage
        .report(tenantId, query)
        .map(report -> report.orElseThrow(() -> ProblemException.notFound(NO_TENANT)));
  }
}
