package io.llmq.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.context.ContextPolicy;
import io.llmq.api.context.ContextWindow;
import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.job.Priority;
import io.llmq.common.request.CanonicalJson;
import java.util.UUID;

/**
 * A validated submission, ready to store.
 *
 * @param requestJson the chat request as it will be sent upstream ({@code stream} removed)
 * @param priority the job's order among its tenant's jobs
 * @param bodyHash SHA-256 of the canonical submit body, to recognise idempotent replays
 * @param request the chat request {@code requestJson} holds, for the cache key
 * @param keyId the API key that submits it, whose budget it spends besides its tenant's
 * @param contextPolicy what to do if the request does not fit its model's context window
 * @param trimmedMessages how many messages were dropped to fit the window ({@code trim}), 0 when
 *     none
 * @param traceContext the W3C trace context of the submit, stored with the job ({@link
 *     io.llmq.common.telemetry.TraceContexts}); null when tracing is off
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
    JsonNode request,
    ContextPolicy contextPolicy,
    int trimmedMessages,
    String traceContext) {

  /**
   * This job with its request fitted to the context window: the trimmed request is the one stored,
   * sent upstream and keyed in the cache; the number of dropped messages goes in its guardrails.
   */
  NewJob fitted(ContextWindow.Fitted fitted) {
    if (fitted.trimmedMessages() == 0) {
      return this;
    }
    return new NewJob(
        id,
        tenantId,
        keyId,
        model,
        CanonicalJson.write(fitted.request()),
        cacheMode,
        metadataJson,
        webhookUrl,
        deadlineSeconds,
        maxAttempts,
        priority,
        idempotencyKey,
        bodyHash,
        fitted.request(),
        contextPolicy,
        fitted.trimmedMessages(),
        traceContext);
  }

  /** This job in the trace {@code context} names (its stored form), null for none. */
  NewJob traced(String context) {
    if (context == null) {
      return this;
    }
    return new NewJob(
        id,
        tenantId,
        keyId,
        model,
        requestJson,
        cacheMode,
        metadataJson,
        webhookUrl,
        deadlineSeconds,
        maxAttempts,
        priority,
        idempotencyKey,
        bodyHash,
        request,
        contextPolicy,
        trimmedMessages,
        context);
  }

  /**
   * The job's {@code guardrails} at birth, as stored: the trimmed messages when there are any,
   * {@code null} (nothing recorded) otherwise.
   */
  String guardrailsJson() {
    return trimmedMessages == 0
        ? null
        : Guardrails.NONE.withTrimmedMessages(trimmedMessages).json();
  }
}
