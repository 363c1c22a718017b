package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.AdminOnly;
import io.llmq.api.http.Cursor;
import io.llmq.api.http.Page;
import io.llmq.api.problem.PathIds;
import io.llmq.common.governor.ShareWeights;
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
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/** Admin endpoints: tenants, their keys, their webhook secrets (SPEC §2 Auth). */
@Path("/v1/admin")
@AdminOnly
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
@SecurityRequirement(name = "AdminToken")
public class AdminTenantResource {

  private static final String MERGE_PATCH = "application/merge-patch+json";

  private final TenantService tenants;
  private final AdminRequests requests;
  private final BudgetUses budgets;
  private final ShareWeights weights;

  AdminTenantResource(
      TenantService tenants, AdminRequests requests, BudgetUses budgets, ShareWeights weights) {
    this.tenants = tenants;
    this.weights = weights;
    this.requests = requests;
    this.budgets = budgets;
  }

  @POST
  @Path("/tenants")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create a tenant")
  @RequestBody(
      required = true,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(ref = "NewTenantRequest")))
  @APIResponse(
      responseCode = "201",
      description = "The tenant, with its first webhook secret.",
      headers = @Header(name = "Location", ref = "Location"),
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = TenantResponse.class)))
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "413", ref = "PayloadTooLarge")
  @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
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
  @Operation(summary = "List tenants", description = "Oldest first.")
  @APIResponse(responseCode = "200", description = "A page of tenants.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  public Uni<Page<TenantResponse>> list(
      @Parameter(name = "limit", in = ParameterIn.QUERY, ref = "Limit") @RestQuery String limit,
      @Parameter(name = "after", in = ParameterIn.QUERY, ref = "After") @RestQuery String after) {
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
  @Operation(summary = "Read a tenant")
  @APIResponse(responseCode = "200", description = "The tenant.")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<TenantResponse> get(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "TenantId") @RestPath String id) {
    return tenants.get(tenantId(id)).chain(this::shown);
  }

  @PATCH
  @Path("/tenants/{id}")
  @Consumes({MediaType.APPLICATION_JSON, MERGE_PATCH})
  @Operation(
      summary = "Change a tenant",
      description =
          "Its name, limits or alert_webhook_url; takes effect on every replica within 1 s.")
  @RequestBody(
      required = true,
      content = {
        @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = "TenantPatchRequest")),
        @Content(mediaType = MERGE_PATCH, schema = @Schema(ref = "TenantPatchRequest"))
      })
  @APIResponse(responseCode = "200", description = "The tenant as changed.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  @APIResponse(responseCode = "413", ref = "PayloadTooLarge")
  @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
  public Uni<TenantResponse> update(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "TenantId") @RestPath String id,
      JsonNode body) {
    UUID tenantId = tenantId(id);
    TenantChange change = requests.tenantPatch(body);
    return requests
        .checkTarget(change)
        .chain(checked -> tenants.update(tenantId, checked))
        .call(tenant -> weights.publish(tenant.id, tenant.shareWeight))
        .chain(this::shown);
  }

  @POST
  @Path("/tenants/{id}/keys")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create an API key", description = "The key is in this answer only.")
  @RequestBody(
      required = true,
      content =
          @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "NewKeyRequest")))
  @APIResponse(
      responseCode = "201",
      description = "The new key.",
      headers = @Header(name = "Location", ref = "Location"),
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = NewKeyResponse.class)))
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "413", ref = "PayloadTooLarge")
  @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
  public Uni<Response> createKey(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "TenantId") @RestPath String id,
      JsonNode body,
      UriInfo uri) {
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
  @Operation(summary = "List a tenant's API keys", description = "Revoked ones too, oldest first.")
  @APIResponse(responseCode = "200", description = "A page of keys.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<Page<KeyResponse>> listKeys(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "TenantId") @RestPath String id,
      @Parameter(name = "limit", in = ParameterIn.QUERY, ref = "Limit") @RestQuery String limit,
      @Parameter(name = "after", in = ParameterIn.QUERY, ref = "After") @RestQuery String after) {
    UUID tenantId = tenantId(id);
    int size = Page.size(limit);
    Cursor cursor = Page.after(after);
    return tenants
        .keys(tenantId, cursor, size + 1)
        .map(keys -> Page.of(keys, size, key -> Cursor.of(key.createdAt, key.id), KeyResponse::of));
  }

  @GET
  @Path("/keys/{keyId}")
  @Operation(summary = "Read an API key")
  @APIResponse(responseCode = "200", description = "The key, without its secret.")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<KeyResponse> getKey(
      @Parameter(name = "keyId", in = ParameterIn.PATH, ref = "KeyId") @RestPath String keyId) {
    return tenants.key(keyId(keyId)).map(KeyResponse::of);
  }

  @PATCH
  @Path("/keys/{keyId}")
  @Consumes({MediaType.APPLICATION_JSON, MERGE_PATCH})
  @Operation(
      summary = "Change an API key",
      description = "Its name or limits. A revoked key is 409.")
  @RequestBody(
      required = true,
      content = {
        @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "KeyPatchRequest")),
        @Content(mediaType = MERGE_PATCH, schema = @Schema(ref = "KeyPatchRequest"))
      })
  @APIResponse(responseCode = "200", description = "The key as changed.")
  @APIResponse(responseCode = "400", ref = "InvalidRequest")
  @APIResponse(responseCode = "404", ref = "NotFound")
  @APIResponse(responseCode = "409", ref = "Conflict")
  @APIResponse(responseCode = "413", ref = "PayloadTooLarge")
  @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
  public Uni<KeyResponse> updateKey(
      @Parameter(name = "keyId", in = ParameterIn.PATH, ref = "KeyId") @RestPath String keyId,
      JsonNode body) {
    UUID id = keyId(keyId);
    return tenants.updateKey(id, requests.keyPatch(body)).map(KeyResponse::of);
  }

  @DELETE
  @Path("/keys/{keyId}")
  @Operation(summary = "Revoke an API key", description = "It stops working at once.")
  @APIResponse(responseCode = "204", description = "Revoked (revoking again is fine).")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<Response> revokeKey(
      @Parameter(name = "keyId", in = ParameterIn.PATH, ref = "KeyId") @RestPath String keyId) {
    return tenants.revokeKey(keyId(keyId)).map(v -> Response.noContent().build());
  }

  @POST
  @Path("/tenants/{id}/webhook-secret")
  @Operation(
      summary = "Rotate a tenant's webhook secret",
      description = "Webhooks are signed with the new secret from now on.")
  @APIResponse(responseCode = "200", description = "The new secret.")
  @APIResponse(responseCode = "404", ref = "NotFound")
  public Uni<WebhookSecretResponse> rotateWebhookSecret(
      @Parameter(name = "id", in = ParameterIn.PATH, ref = "TenantId") @RestPath String id) {
    return tenants.rotateWebhookSecret(tenantId(id)).map(WebhookSecretResponse::new);
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
