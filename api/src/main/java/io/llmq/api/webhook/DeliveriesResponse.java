package io.llmq.api.webhook;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A job's webhook as {@code GET /v1/jobs/{id}/webhook-deliveries} shows it: where it goes, the
 * message id, where the latest delivery stands, and every attempt, oldest first.
 *
 * @param webhookId {@code <job id>.<terminal event id>}; null until the job's end is announced
 * @param status of the latest delivery: {@code pending}, {@code succeeded} or {@code failed}; null
 *     when there is none (the job has not ended, or has no webhook)
 * @param nextAttemptAt when a pending delivery is tried next
 */
@Schema(name = "Deliveries", description = "A job's webhook and every attempt to deliver it.")
public record DeliveriesResponse(
    @Schema(nullable = true) String webhookUrl,
    @Schema(nullable = true, description = "<job id>.<terminal event id>, the webhook-id header.")
        String webhookId,
    @Schema(
            nullable = true,
            enumeration = {"pending", "succeeded", "failed"})
        String status,
    @Schema(nullable = true) Instant nextAttemptAt,
    @Schema(description = "Every attempt, oldest first.") List<Attempt> data) {

  /**
   * One HTTP attempt.
   *
   * @param statusCode the receiver's answer; null when there was none (refused, timed out)
   * @param redelivery whether the attempt belongs to a redelivery asked for by the tenant
   */
  @Schema(name = "DeliveryAttempt", description = "One HTTP attempt to deliver a webhook.")
  public record Attempt(
      Instant attemptedAt,
      @Schema(nullable = true, description = "The receiver's status; null when it did not answer.")
          Integer statusCode,
      long latencyMs,
      @Schema(nullable = true) String error,
      boolean succeeded,
      boolean redelivery) {}
}
