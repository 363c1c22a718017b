package io.llmq.common.job;

import io.llmq.common.guardrails.Guardrails;
import io.vertx.mutiny.sqlclient.Row;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A row of {@code jobs} as both apps read it, and the one mapper from a database row to it: every
 * query that reads jobs selects {@link #COLUMNS} (plus what it needs besides) and maps with {@link
 * #from}. JSON columns stay JSON text; they are passed through as is. The chat request is left out:
 * only the worker reads it, once per message.
 *
 * @param priority the job's order among its tenant's jobs ({@code jobs.priority}, its rank)
 * @param terminalEventId the id of the job's {@code done} event, once it is announced
 * @param guardrailsJson what the guardrails did ({@code jobs.guardrails}), {@code null} for nothing
 */
public record JobRow(
    UUID id,
    UUID tenantId,
    JobStatus status,
    String model,
    CacheMode cacheMode,
    String metadataJson,
    String webhookUrl,
    Priority priority,
    int maxAttempts,
    int attempts,
    boolean cached,
    String resultJson,
    Integer promptTokens,
    Integer completionTokens,
    Integer totalTokens,
    BigDecimal costUsd,
    String errorCode,
    String errorMessage,
    String idempotencyHash,
    OffsetDateTime createdAt,
    OffsetDateTime startedAt,
    OffsetDateTime completedAt,
    String servedProvider,
    String servedModel,
    int version,
    Integer terminalEventId,
    String guardrailsJson) {

  private static final List<String> SELECTED =
      List.of(
          "id",
          "tenant_id",
          "status",
          "model",
          "cache_mode",
          "metadata::text AS metadata",
          "webhook_url",
          "priority",
          "max_attempts",
          "attempts",
          "cached",
          "result::text AS result",
          "prompt_tokens",
          "completion_tokens",
          "total_tokens",
          "cost_usd",
          "error_code",
          "error_message",
          "idempotency_hash",
          "created_at",
          "started_at",
          "completed_at",
          "served_provider",
          "served_model",
          "version",
          "terminal_event_id",
          "guardrails::text AS guardrails");

  /** The select list (or {@code RETURNING} list) that {@link #from} reads. */
  public static final String COLUMNS = String.join(", ", SELECTED);

  /** {@link #COLUMNS} of the table named {@code alias} in a join. */
  public static String columns(String alias) {
    return SELECTED.stream().map(column -> alias + "." + column).collect(Collectors.joining(", "));
  }

  /** Reads a row selected with {@link #COLUMNS}. */
  public static JobRow from(Row row) {
    return new JobRow(
        row.getUUID("id"),
        row.getUUID("tenant_id"),
        JobStatus.fromWire(row.getString("status")),
        row.getString("model"),
        CacheMode.fromWire(row.getString("cache_mode")),
        row.getString("metadata"),
        row.getString("webhook_url"),
        Priority.fromRank(row.getInteger("priority")),
        row.getInteger("max_attempts"),
        row.getInteger("attempts"),
        row.getBoolean("cached"),
        row.getString("result"),
        row.getInteger("prompt_tokens"),
        row.getInteger("completion_tokens"),
        row.getInteger("total_tokens"),
        row.getBigDecimal("cost_usd"),
        row.getString("error_code"),
        row.getString("error_message"),
        row.getString("idempotency_hash"),
        row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("started_at"),
        row.getOffsetDateTime("completed_at"),
        row.getString("served_provider"),
        row.getString("served_model"),
        row.getInteger("version"),
        row.getInteger("terminal_event_id"),
        row.getString("guardrails"));
  }

  /** A terminal job never changes status again. */
  public boolean isTerminal() {
    return status.isTerminal();
  }

  /** The job as clients see it. */
  public JobView view() {
    JobView.Usage usage =
        totalTokens == null
            ? null
            : new JobView.Usage(
                promptTokens == null ? 0 : promptTokens,
                completionTokens == null ? 0 : completionTokens,
                totalTokens);
    return new JobView(
        id,
        status.wire(),
        model,
        instant(createdAt),
        instant(startedAt),
        instant(completedAt),
        attempts,
        cached,
        resultJson,
        usage,
        costUsd == null ? null : costUsd.stripTrailingZeros(),
        errorCode == null ? null : new JobView.Error(errorCode, errorMessage),
        metadataJson,
        webhookUrl,
        priority.wire(),
        null,
        servedProvider == null ? null : new JobView.ServedBy(servedProvider, servedModel),
        Guardrails.parse(guardrailsJson));
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
