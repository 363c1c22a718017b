package io.llmq.api.tenant;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A new API key: the only time {@code key} is ever shown. */
public record NewKeyResponse(
    UUID id,
    String key,
    String prefix,
    List<String> scopes,
    KeyResponse.Limits limits,
    Instant createdAt) {

  static NewKeyResponse of(ApiKey stored, String key) {
    return new NewKeyResponse(
        stored.id,
        key,
        stored.prefix,
        KeyResponse.scopes(stored),
        KeyResponse.Limits.of(stored),
        stored.createdAt);
  }
}
