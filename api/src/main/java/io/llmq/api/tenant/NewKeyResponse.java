package io.llmq.api.tenant;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A new API key: the only time {@code key} is ever shown. */
@Schema(name = "NewApiKey", description = "A new API key: the only answer that shows the key.")
public record NewKeyResponse(
    @Schema(format = "uuid") UUID id,
    @Schema(description = "The secret key; store it now, llmq keeps only its hash.") String key,
    String prefix,
    @Schema(ref = "Scopes") List<String> scopes,
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
