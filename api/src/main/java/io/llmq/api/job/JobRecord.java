package io.llmq.api.job;

import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobView;
import io.vertx.mutiny.sqlclient.Row;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A job row as the api reads it. JSON columns stay JSON text; they are passed through as is. */
record JobRecord(
    UUID id,
    UUID tenantId,
    JobStatus status,
    String model,
    String metadataJson,
    String webhookUrl,
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
    int version) {

  /** The select list {@link #from} reads. */
  static final String COLUMNS =
      "id, tenant_id, status, model, metadata::text AS metadata, webhook_url, attempts, cached,"
          + " result::text AS result, prompt_tokens, completion_tokens, total_tokens, cost_usd,"
          + " error_code, error_message, idempotency_hash, created_at, started_at, completed_at,"
          + " served_provider, served_model, version";

  static JobRecord from(Row row) {
    return new JobRecord(
        row.getUUID("id"),
        row.getUUID("tenant_id"),
        JobStatus.fromWire(row.getString("status")),
        row.getString("model"),
        row.getString("metadata"),
        row.getString("webhook_url"),
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
        row.getInteger("version"));
  }

  boolean terminal() {
    return status.isTerminal();
  }

  /** The job as clients see it. */
  JobView view() {
    return JobView.of(
        id,
        status,
        model,
        createdAt,
        startedAt,
        completedAt,
        attempts,
        cached,
        resultJson,
        promptTokens,
        completionTokens,
        totalTokens,
        costUsd,
        errorCode,
        errorMessage,
        metadataJson,
        webhookUrl,
        servedProvider,
        servedModel);
  }
}
