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
import org.jboss.resteasy.reactive.RestPath;

/** Any tenant's usage report for the admin: the same parameters and body as the tenant's own. */
@Path("/v1/admin/tenants/{id}/usage")
@AdminOnly
@Produces(MediaType.APPLICATION_JSON)
public class AdminUsageResource {

  private static final String NO_TENANT = "No tenant with this id.";

  private final UsageRepository usage;

  AdminUsageResource(UsageRepository usage) {
    this.usage = usage;
  }

  @GET
  public Uni<UsageReport> report(@RestPath String id, UriInfo uri) {
    UUID tenantId = PathIds.parse(id, NO_TENANT);
    UsageQuery query = UsageQuery.parse(uri.getQueryParameters(), Instant.now());
    return usage
        .report(tenantId, query)
        .map(report -> report.orElseThrow(() -> ProblemException.notFound(NO_TENANT)));
  }
}
