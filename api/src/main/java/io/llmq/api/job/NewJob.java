package io.llmq.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.job.Priority;
import java.util.UUID;

/**
 * A validated submission, ready to store.
 *
 * @param requestJson the chat request as it will be sent upstream ({@code stream} removed)
 * @param priority the job's order among its tenant's jobs
 * @param bodyHash SHA-256 of the canonical submit body, to recognise idempotent replays
 * @param request the chat request {@code requestJson} holds, for the cache key
 * @param keyId the API key that submits it, whose budget it spends besides its tenant's
 */
record NewJob(
    UUID id,
    UUID tenantId,
    UUID keyId,
    String model,
    String requestJson,
    String cacheMode,
    String metadataJson,
    String webhookUrl,
    Integer deadlineSeconds,
    int maxAttempts,
    Priority priority,
    String idempotencyKey,
    String bodyHash,
    JsonNode request) {}
