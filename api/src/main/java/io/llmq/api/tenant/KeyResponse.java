package io.llmq.api.tenant;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A new API key: the only time {@code key} is ever shown. */
public record KeyResponse(
    UUID id, String key, String prefix, List<String> scopes, Instant createdAt) {}
