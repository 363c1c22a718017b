package io.llmq.api.auth;

import io.llmq.common.request.CanonicalJson;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Makes API keys and finds the caller behind one. A key is {@code llmq_} and 256 random bits; only
 * its SHA-256 is stored, so a key is shown once and a leaked database reveals none.
 */
@ApplicationScoped
public class ApiKeys {

  private static final String PREFIX = "llmq_";
  private static final int PREFIX_SHOWN = 12;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String RESOLVE =
      "SELECT k.id, k.tenant_id, k.scopes, k.requests_per_minute AS key_rpm,"
          + " k.monthly_budget_usd AS key_budget, t.requests_per_minute AS tenant_rpm,"
          + " t.monthly_budget_usd AS tenant_budget, t.tokens_per_minute AS tenant_tpm"
          + " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
          + " WHERE k.key_hash = $1 AND k.revoked_at IS NULL";

  private final Pool pool;

  ApiKeys(Pool pool) {
    this.pool = pool;
  }

  /** A new random key. */
  public static String newKey() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The part of a key that may be shown again to tell keys apart. */
  public static String prefixOf(String key) {
    return key.substring(0, Math.min(PREFIX_SHOWN, key.length()));
  }

  public static String hash(String key) {
    return CanonicalJson.sha256(key);
  }

  public static String formatScopes(Set<Scope> scopes) {
    return scopes.stream().map(Scope::wire).sorted().collect(Collectors.joining(" "));
  }

  public static Set<Scope> parseScopes(String stored) {
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    Arrays.stream(stored.split(" "))
        .map(Scope::fromWire)
        .forEach(scope -> scope.ifPresent(scopes::add));
    return scopes;
  }

  /** The caller behind a presented key; {@code null} when the key is unknown or revoked. */
  public Uni<Caller> resolve(String presented) {
    if (presented == null || !presented.startsWith(PREFIX) || presented.length() > 200) {
      return Uni.createFrom().nullItem();
    }
    return pool.preparedQuery(RESOLVE)
        .execute(Tuple.of(hash(presented)))
        .map(rows -> rows.size() == 0 ? null : toCaller(rows.iterator().next()));
  }

  private static Caller toCaller(Row row) {
    return new Caller(
        row.getUUID("tenant_id"),
        row.getUUID("id"),
        parseScopes(row.getString("scopes")),
        row.getInteger("tenant_rpm"),
        row.getInteger("key_rpm"),
        row.getBigDecimal("tenant_budget"),
        row.getBigDecimal("key_budget"),
        row.getInteger("tenant_tpm"));
  }
}
