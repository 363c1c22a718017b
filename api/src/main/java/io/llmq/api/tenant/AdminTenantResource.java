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
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** Admin endpoints: tenants, their keys, their webhook secrets. */
@Path("/v1/admin")
@AdminOnly
@Produces(MediaType.APPLICATION_JSON)
public class AdminTenantResource {

  private static final Set<String> TENANT_FIELDS = Set.of("name", "limits");
  private static final Set<String> KEY_FIELDS = Set.of("name", "scopes");
  private static final int MAX_NAME = 200;

  private final TenantService tenants;

  AdminTenantResource(TenantService tenants) {
    this.tenants = tenants;
  }

  @POST
  @Path("/tenants")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> create(JsonNode body, UriInfo uri) {
    Fields.object(body, "");
    Fields.onlyKnown(body, "", TENANT_FIELDS);
    String name = Fields.text(body, "", "name", MAX_NAME, true);
    LimitsPatch limits = LimitsPatch.ofTenant(body);
    return tenants
        .create(name, limits)
        .map(tenant ->
            Response.created(uri.getBaseUriBuilder().path("/v1/admin/tenants/" + tenant.id).build())
                .entity(TenantResponse.of(tenant))
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
        .map(rows ->
            Page.of(
                rows, size, tenant -> Cursor.of(tenant.createdAt, tenant.id), TenantResponse::of));
  }

  @GET
  @Path("/tenants/{id}")
  public Uni<TenantResponse> get(@RestPath String id) {
    return tenants.get(tenantId(id)).map(TenantResponse::of);
  }

  @PATCH
  @Path("/tenants/{id}")
  @Consumes({MediaType.APPLICATION_JSON, "application/merge-patch+json"})
  public Uni<TenantResponse> update(@RestPath String id, JsonNode body) {
    UUID tenantId = tenantId(id);
    Fields.object(body, "");
    Fields.onlyKnown(body, "", TENANT_FIELDS);
    String name = Fields.text(body, "", "name", MAX_NAME, false);
    if (name != null && name.isBlank()) {
      throw ProblemException.invalid("'name' must not be empty.");
    }
    return tenants.update(tenantId, name, LimitsPatch.ofTenant(body)).map(TenantResponse::of);
  }

  @POST
  @Path("/tenants/{id}/keys")
  @Consumes(MediaType.APPLICATION_JSON)
  public Uni<Response> createKey(@RestPath String id, JsonNode body) {
    UUID tenantId = tenantId(id);
    Fields.object(body, "");
    Fields.onlyKnown(body, "", KEY_FIELDS);
    String name = Fields.text(body, "", "name", MAX_NAME, true);
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
