package io.llmq.common.cache;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.request.CanonicalRequest;
import java.util.UUID;

/**
 * Where one request's answer lives in Redis: the SHA-256 of its {@link CanonicalRequest canonical
 * form}, under the tenant's scope or the global one. Keys hold hashes and ids, never a prompt.
 *
 * @param entry the answer's key: {@code llmq:cache:v<form version>:<scope>:<sha256>}, where scope
 *     is {@code t:<tenant id>} or {@code g}
 */
public record CacheKey(String entry) {

  private static final String PREFIX = "llmq:cache:v" + CanonicalRequest.VERSION + ":";

  /** The key of {@code request} for {@code tenantId}, in {@code scope}. */
  public static CacheKey of(CacheConfig.Scope scope, UUID tenantId, JsonNode request) {
    String owner = scope == CacheConfig.Scope.GLOBAL ? "g" : "t:" + tenantId;
    return new CacheKey(PREFIX + owner + ":" + CanonicalRequest.of(request).sha256());
  }

  /** The single-flight lock of this key: held by the one job whose call answers it. */
  public String lock() {
    return entry + ":flight";
  }
}
