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

/** A tenant's own usage report (SPEC §2 Usage), from the usage ledger. */
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

  private final UsageRepository usage;
  private final CurrentCaller caller;

  UsageResource(UsageRepository usage, CurrentCaller caller) {
    this.usage = usage;
    this.caller = caller;
  }

  @GET
  @Requires(Scope.USAGE_READ)
  public Uni<UsageReport> report(UriInfo uri) {
    UsageQuery query = UsageQuery.parse(uri.getQueryParameters(), Instant.now());
    // The caller's key was just resolved with its tenant, so the tenant exists.
    return usage.report(caller.get().tenantId(), query).map(Optional::orElseThrow);
  }
}
