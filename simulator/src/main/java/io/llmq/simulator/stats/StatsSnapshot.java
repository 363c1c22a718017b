package io.llmq.simulator.stats;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Map;

/**
 * The body of {@code GET /stats}. Token figures: {@code prompt_tokens} and {@code
 * completion_tokens} are billed when a call completes; {@code tokens_charged} is what admission
 * took from the buckets (prompt plus reserved output), refused calls excluded, net of what
 * completed calls gave back when {@code refund_unused} is on.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StatsSnapshot(
    String startedAt,
    double elapsedSeconds,
    long requests,
    Map<String, Long> byStatus,
    long rateLimited,
    long faultsInjected,
    long promptTokens,
    long completionTokens,
    long tokensCharged,
    PerMinute perMinute) {

  /** Averages per minute since {@code started_at}. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record PerMinute(
      double requests, double promptTokens, double completionTokens, double tokensCharged) {}
}
