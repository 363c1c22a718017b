package io.llmq.api.webhook;

import java.time.Instant;
import java.util.List;

/**
 * A job's webhook as {@code GET /v1/jobs/{id}/webhook-deliveries} shows it: where it goes, the
 * message id, where the latest delivery stands, and every attempt, oldest first.
 *
 * @param webhookId {@code <job id>.<terminal event id>}; null until the job's end is announced
 * @param status of the latest delivery: {@code pending}, {@code succeeded} or {@code failed}; null
 *     when there is none (the job has not ended, or has no webhook)
 * @param nextAttemptAt when a pending delivery is tried next
 */
public record DeliveriesResponse(
    String webhookUrl, String webhookId, String status, Instant nextAttemptAt, List<Attempt> data) {

  /**
   * One HTTP attempt.
   *
   * @param statusCode the receiver's answer; null when there was none (refused, timed out)
   * @param redelivery whether the attempt belongs to a redelivery asked for by the tenant
   */
  public record Attempt(
      Instant attemptedAt,
      Integer statusCode,
      long latencyMs,
      String error,
      boolean succeeded,
      boolean redelivery) {}
}
