package io.llmq.api.auth;

import java.util.Set;
import java.util.UUID;

/** The tenant behind a request's API key, and what the key may do. */
public record Caller(UUID tenantId, UUID keyId, Set<Scope> scopes) {}
