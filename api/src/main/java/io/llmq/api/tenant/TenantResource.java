package io.llmq.api.tenant;

import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.auth.Requires;
import io.llmq.api.auth.Scope;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * A tenant reads its own record: limits, this month's spend, and the webhook secret (needed to
 * verify webhooks).
 */
@Path("/v1/tenant")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Tenant")
public class TenantResource {

  private final TenantService tenants;
  private final BudgetUses budgets;
  private final CurrentCaller caller;

  TenantResource(TenantService tenants, BudgetUses budgets, CurrentCaller caller) {
    this.tenants = tenants;
    this.budgets = budgets;
    this.caller = caller;
  }

  @GET
  @Requires(Scope.JOBS_READ)
  @Operation(
      summary = "Read the tenant's own record",
      description = "Its limits, this month's spend, and the secret its webhooks are signed with.")
  @SecurityRequirement(name = "TenantKey", scopes = "jobs:read")
  @APIResponse(responseCode = "200", description = "The tenant.")
  public Uni<TenantResponse> own() {
    return tenants
        .get(caller.get().tenantId())
        .chain(tenant -> budgets.ofTenant(tenant.id).map(use -> TenantResponse.of(tenant, use)));
  }
}
