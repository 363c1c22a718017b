package io.llmq.worker.webhook;

import java.util.UUID;

/**
 * A delivery leased for one attempt, with what the attempt needs.
 *
 * @param jobId the job whose end it tells; {@code null} for a budget alert
 * @param tenantId the tenant the delivery belongs to
 * @param attempts attempts made before this one
 * @param webhookId {@code <job id>.<terminal event id>} (a budget alert: {@code
 *     budget.<tenant>.<month>.<threshold>}), the same for every attempt
 * @param body the exact bytes to send, the same for every attempt
 * @param secret the tenant's webhook secret as it is now
 * @param traceContext the job's stored trace context ({@code jobs.trace_context}), whose trace the
 *     attempt's span joins; {@code null} for none
 */
record Delivery(
    long id,
    UUID jobId,
    UUID tenantId,
    String url,
    int attempts,
    String webhookId,
    String body,
    String secret,
    String traceContext) {}
