package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.AdminOnly;
import io.llmq.api.http.Cursor;
import io.llmq.api.http.Page;
import io.llmq.api.problem.PathIds;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** Admin endpoints: tenants, their keys, their webhook secrets (SPEC §2 Auth). */
@Path("/v1/admin")
@AdminOnly
@Produces(MediaType.APPLICATION_JSON)
public class AdminTenantResource {

  private static final String MERGE_PATCH = "application/merge-patch+json";

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
  public Uni<Response> createKey(@RestPath String id, JsonNode body, UriInfo uri) {
    UUID tenantId = tenantId(id);
    KeyChange change = requests.newKey(body);
    return tenants
        .createKey(tenantId, change)
        .map(key ->
            Response.created(uri.getBaseUriBuilder().path("/v1/admin/keys/" + key.id()).build())
                .entity(key)
                .build());
  }

  /** The tenant's keys without their secrets, revoked ones included, oldest first. */
  @GET
  @Path("/tenants/{id}/keys")
  public Uni<Page<KeyResponse>> listKeys(
      @RestPath String id, @RestQuery String limit, @RestQuery String after) {
    UUID tenantId = tenantId(id);
    int size = Page.size(limit);
    Cursor cursor = Page.after(after);
    return tenants
        .keys(tenantId, cursor, size + 1)
        .map(keys -> Page.of(keys, size, key -> Cursor.of(key.createdAt, key.id), KeyResponse::of));
  }

  @GET
  @Path("/keys/{keyId}")
  public Uni<KeyResponse> getKey(@RestPath String keyId) {
    return tenants.key(keyId(keyId)).map(KeyResponse::of);
  }

  @PATCH
  @Path("/keys/{keyId}")
  @Consumes({MediaType.APPLICATION_JSON, MERGE_PATCH})
  public Uni<KeyResponse> updateKey(@RestPath String keyId, JsonNode body) {
    UUID id = keyId(keyId);
    return tenants.updateKey(id, requests.keyPatch(body)).map(KeyResponse::of);
  }

  @DELETE
  @Path("/keys/{keyId}")
  public Uni<Response> revokeKey(@RestPath String keyId) {
    return tenants.revokeKey(keyId(keyId)).map(v -> Response.noContent().build());
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

  private static UUID tenantId(String id) {
    return PathIds.parse(id, "No tenant with this id.");
  }

  private static UUID keyId(String id) {
    return PathIds.parse(id, "No API key with this id.");
  }
}
