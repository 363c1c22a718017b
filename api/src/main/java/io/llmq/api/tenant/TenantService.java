package io.llmq.api.tenant;

import io.llmq.api.auth.ApiKeys;
import io.llmq.api.http.Cursor;
import io.llmq.api.problem.ProblemException;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/** Tenants and their keys: creation, limits, key revocation, webhook secret rotation. */
@ApplicationScoped
public class TenantService {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String AFTER = "(createdAt > ?1 or (createdAt = ?1 and id > ?2))";
  private static final String ORDER = " order by createdAt, id";
  private static final Supplier<ProblemException> KEY_NOT_FOUND =
      () -> ProblemException.notFound("No API key with this id.");

  @WithTransaction
  public Uni<Tenant> create(TenantChange change) {
    Tenant tenant = new Tenant();
    tenant.id = UUID.randomUUID();
    change.applyTo(tenant);
    tenant.webhookSecret = newWebhookSecret();
    tenant.createdAt = now();
    tenant.updatedAt = tenant.createdAt;
    return tenant.persist();
  }

  /** Up to {@code limit} tenants after the cursor, oldest first (ties broken by id). */
  @WithSession
  public Uni<List<Tenant>> page(Cursor after, int limit) {
    var query =
        after == null
            ? Tenant.<Tenant>find(ORDER.strip())
            : Tenant.<Tenant>find(AFTER + ORDER, after.createdAt().toInstant(), after.id());
    return query.page(0, limit).list();
  }

  @WithSession
  public Uni<Tenant> get(UUID id) {
    return find(id);
  }

  @WithTransaction
  public Uni<Tenant> update(UUID id, TenantChange change) {
    return find(id)
        .invoke(tenant -> {
          change.applyTo(tenant);
          tenant.updatedAt = now();
        });
  }

  @WithTransaction
  public Uni<String> rotateWebhookSecret(UUID id) {
    return find(id)
        .map(tenant -> {
          tenant.webhookSecret = newWebhookSecret();
          tenant.updatedAt = now();
          return tenant.webhookSecret;
        });
  }

  @WithTransaction
  public Uni<NewKeyResponse> createKey(UUID tenantId, KeyChange change) {
    return find(tenantId)
        .chain(tenant -> {
          String key = ApiKeys.newKey();
          ApiKey stored = new ApiKey();
          stored.id = UUID.randomUUID();
          stored.tenantId = tenant.id;
          stored.prefix = ApiKeys.prefixOf(key);
          stored.keyHash = ApiKeys.hash(key);
          stored.scopes = ApiKeys.formatScopes(change.scopes());
          stored.createdAt = now();
          change.applyTo(stored);
          return stored.<ApiKey>persist().map(saved -> NewKeyResponse.of(saved, key));
        });
  }

  /** Up to {@code limit} of the tenant's keys after the cursor, revoked ones included. */
  @WithSession
  public Uni<List<ApiKey>> keys(UUID tenantId, Cursor after, int limit) {
    return find(tenantId)
        .chain(tenant -> {
          var query =
              after == null
                  ? ApiKey.<ApiKey>find("tenantId = ?1" + ORDER, tenantId)
                  : ApiKey.<ApiKey>find(
                      "tenantId = ?3 and " + AFTER + ORDER,
                      after.createdAt().toInstant(),
                      after.id(),
                      tenantId);
          return query.page(0, limit).list();
        });
  }

  @WithSession
  public Uni<ApiKey> key(UUID keyId) {
    return ApiKey.<ApiKey>findById(keyId).onItem().ifNull().failWith(KEY_NOT_FOUND);
  }

  /**
   * Changes a key's name or limits. The row is locked for the change, so concurrent patches of one
   * key apply one after the other; a revoked key never works again, so changing it is a conflict.
   */
  @WithTransaction
  public Uni<ApiKey> updateKey(UUID keyId, KeyChange change) {
    return ApiKey.<ApiKey>findById(keyId, LockModeType.PESSIMISTIC_WRITE)
        .onItem()
        .ifNull()
        .failWith(KEY_NOT_FOUND)
        .invoke(key -> {
          if (key.revokedAt != null) {
            throw ProblemException.conflict("This API key is revoked; it cannot be changed.");
          }
          change.applyTo(key);
        });
  }

  /** Revokes a key; revoking a revoked key again is fine. */
  @WithTransaction
  public Uni<Void> revokeKey(UUID keyId) {
    return ApiKey.<ApiKey>findById(keyId, LockModeType.PESSIMISTIC_WRITE)
        .onItem()
        .ifNull()
        .failWith(KEY_NOT_FOUND)
        .invoke(key -> {
          if (key.revokedAt == null) {
            key.revokedAt = now();
          }
        })
        .replaceWithVoid();
  }

  private static Uni<Tenant> find(UUID id) {
    return Tenant.<Tenant>findById(id)
        .onItem()
        .ifNull()
        .failWith(() -> ProblemException.notFound("No tenant with this id."));
  }

  /** {@code whsec_} and the base64 of 32 random bytes, as Standard Webhooks expects. */
  static String newWebhookSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "whsec_" + Base64.getEncoder().encodeToString(bytes);
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
