package io.llmq.worker.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/** A job this worker holds the lease of, at the version its claim wrote. */
record ClaimedJob(
    UUID id,
    UUID tenantId,
    String model,
    ObjectNode request,
    int attempts,
    int maxAttempts,
    int version) {

  boolean hasAttemptsLeft() {
    return attempts < maxAttempts;
  }
}
