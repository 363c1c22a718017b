package io.llmq.worker.execution;

import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.guardrails.TenantPolicies;
import io.llmq.common.job.CacheMode;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.Priority;
import java.util.UUID;

/**
 * A job row as the worker finds it before deciding what to do with a message.
 *
 * @param cacheMode how the job uses the result cache
 * @param pastDeadline the deadline passed before the job ever started (a job that started and is
 *     retried does not expire)
 * @param leaseLapsed no worker holds a live lease on the job
 * @param tenantTokensPerMinute the tenant's own limit, {@code null} for none
 * @param maxConcurrentJobs the tenant's {@code max_concurrent_jobs}, {@code null} for none
 * @param budgeted whether a monthly budget (the tenant's, or its key's) applies to the job
 * @param priority the job's order among its tenant's jobs (SPEC §3 Fair share)
 * @param shareWeight the tenant's {@code share_weight} (1 unless the admin set another), as it
 *     stands when the message is handled: an admin's change applies to the next job loaded
 * @param policies the tenant's guardrail and fallback policies, read the same way
 * @param guardrails what the guardrails did to the job so far ({@link Guardrails#NONE} for nothing)
 * @param repairJson the repairs of invalid answers so far (V10: a JSON array of {@code {answer,
 *     errors}}), {@code null} for none: the next attempt's request gets them as turns
 * @param routing where its attempts go (SPEC §3 Fallbacks); {@link #model()} stays the job's own
 */
record StoredJob(
    UUID id,
    UUID tenantId,
    JobStatus status,
    String model,
    String requestJson,
    CacheMode cacheMode,
    int attempts,
    int maxAttempts,
    int version,
    boolean pastDeadline,
    boolean leaseLapsed,
    Long tenantTokensPerMinute,
    Integer maxConcurrentJobs,
    boolean budgeted,
    Priority priority,
    double shareWeight,
    TenantPolicies policies,
    Guardrails guardrails,
    String repairJson,
    Routing routing) {

  /** The same job with what its guardrails did since it was read. */
  StoredJob withGuardrails(Guardrails done) {
    return new StoredJob(
        id,
        tenantId,
        status,
        model,
        requestJson,
        cacheMode,
        attempts,
        maxAttempts,
        version,
        pastDeadline,
        leaseLapsed,
        tenantTokensPerMinute,
        maxConcurrentJobs,
        budgeted,
        priority,
        shareWeight,
        policies,
        done,
        repairJson,
        routing);
  }

  /** The model this attempt goes to: the job's own, or a model of its fallback chain. */
  String servingModel() {
    return routing.servingOr(model);
  }

  /** The job with its attempt routed to {@code serving}. */
  StoredJob routedTo(String serving, io.llmq.worker.fallback.CircuitBreaker.Pass pass) {
    return new StoredJob(
        id,
        tenantId,
        status,
        model,
        requestJson,
        cacheMode,
        attempts,
        maxAttempts,
        version,
        pastDeadline,
        leaseLapsed,
        tenantTokensPerMinute,
        maxConcurrentJobs,
        budgeted,
        priority,
        shareWeight,
        policies,
        guardrails,
        repairJson,
        routing.chosen(serving, pass));
  }
}
