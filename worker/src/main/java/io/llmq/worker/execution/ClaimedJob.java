package io.llmq.worker.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * A job this worker holds the lease of, at the version its claim wrote.
 *
 * @param model the model this attempt goes to, which prices it: the job's own or a fallback
 * @param requestedModel the job's own model
 * @param fallbacks whether its tenant allows fallbacks
 */
record ClaimedJob(
    UUID id,
    UUID tenantId,
    String model,
    ObjectNode request,
    int attempts,
    int maxAttempts,
    int version,
    String requestedModel,
    boolean fallbacks,
    Routing routing) {

  boolean hasAttemptsLeft() {
    return attempts < maxAttempts;
  }
}
