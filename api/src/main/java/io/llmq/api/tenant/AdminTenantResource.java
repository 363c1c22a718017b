package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.AdminOnly;
import io.llmq.api.auth.Scope;
import io.llmq.api.http.Cursor;
import io.llmq.api.http.Page;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.PathIds;
import io.llmq.api.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** Admin endpoints: tenants, their keys, their webhook secrets (SPEC §2 Auth). */
@Path("/v1/admin")
@AdminOnly
@Produces(MediaType.APPLICATION_JSON)
public class AdminTenantResource {

  private static final String MERGE_PATCH = "application/merge-patch+json";
  private static final Set<String> KEY_FIELDS = Set.of("name", "scopes");

  private final TenantService tenants;
  private final AdminRequests requests;
  private final BudgetUses budgets;

  AdminTenantResource(TenantService tenants, AdminRequests requests, BudgetUses budgets) {
    this.tenants = tenants;
    this.requests = requests;
    this.budgets = budgets;
  }

  @POST
  @Path("/tenants")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> create(JsonNode body, UriInfo uri) {
    TenantChange change = requests.newTenant(body);
    return requests
        .checkTarget(change)
        .chain(tenants::create)
        .chain(this::shown)
        .map(tenant ->
            Response.created(
                    uri.getBaseUriBuilder().path("/v1/admin/tenants/" + tenant.id()).build())
                .entity(tenant)
                .build());
  }

  /** Oldest first, by {@code (created_at, id)}, so pages neither skip nor repeat a tenant. */
  @GET
  @Path("/tenants")
  public Uni<Page<TenantResponse>> list(@RestQuery String limit, @RestQuery String after) {
    int size = Page.size(limit);
    Cursor cursor = Page.after(after);
    return tenants
        .page(cursor, size + 1)
        .chain(rows -> {
          List<Tenant> shown = rows.subList(0, Math.min(size, rows.size()));
          return budgets
              .ofTenants(shown.stream().map(tenant -> tenant.id).toList())
              .map(uses ->
                  Page.of(
                      rows,
                      size,
                      tenant -> Cursor.of(tenant.createdAt, tenant.id),
                      tenant ->
                          TenantResponse.of(tenant, uses.getOrDefault(tenant.id, BudgetUse.NONE))));
        });
  }

  @GET
  @Path("/tenants/{id}")
  public Uni<TenantResponse> get(@RestPath String id) {
    return tenants.get(tenantId(id)).chain(this::shown);
  }

  @PATCH
  @Path("/tenants/{id}")
  @Consumes({MediaType.APPLICATION_JSON, MERGE_PATCH})
  public Uni<TenantResponse> update(@RestPath String id, JsonNode body) {
    UUID tenantId = tenantId(id);
    TenantChange change = requests.tenantPatch(body);
    return requests
        .checkTarget(change)
        .chain(checked -> tenants.update(tenantId, checked))
        .chain(this::shown);
  }

  @POST
  @Path("/tenants/{id}/keys")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> createKey(@RestPath String id, JsonNode body) {
    UUID tenantId = tenantId(id);
    Fields.object(body, "");
    Fields.onlyKnown(body, "", KEY_FIELDS);
    String name = Fields.text(body, "", "name", 200, true);
    Set<Scope> scopes = scopes(body.get("scopes"));
    return tenants
        .createKey(tenantId, name, scopes)
        .map(key -> Response.status(Response.Status.CREATED).entity(key).build());
  }

  @DELETE
  @Path("/keys/{keyId}")
  public Uni<Response> revokeKey(@RestPath String keyId) {
    return tenants
        .revokeKey(PathIds.parse(keyId, "No API key with this id."))
        .map(v -> Response.noContent().build());
  }

  @POST
  @Path("/tenants/{id}/webhook-secret")
  public Uni<Map<String, String>> rotateWebhookSecret(@RestPath String id) {
    return tenants
        .rotateWebhookSecret(tenantId(id))
        .map(secret -> Map.of("webhook_secret", secret));
  }

  /** The tenant's record with this month's spend, read after the change committed. */
  private Uni<TenantResponse> shown(Tenant tenant) {
    return budgets.ofTenant(tenant.id).map(use -> TenantResponse.of(tenant, use));
  }

  private static Set<Scope> scopes(JsonNode node) {
    if (node == null || node.isNull()) {
      return EnumSet.allOf(Scope.class);
    }
    if (!node.isArray() || node.isEmpty()) {
      throw ProblemException.invalid("'scopes' must be a non-empty array of scope names.");
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (JsonNode element : node) {
      Scope scope = element.isTextual() ? Scope.fromWire(element.textValue()).orElse(null) : null;
      if (scope == null) {
        throw ProblemException.invalid(
            "'scopes' may hold only jobs:write, jobs:read and usage:read.");
      }
      scopes.add(scope);
    }
    return scopes;
  }

  private static UUID tenantId(String id) {
    return PathIds.parse(id, "No tenant with this id.");
  }
}
