package io.llmq.common.job;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.vertx.mutiny.sqlclient.Row;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A job as clients see it (SPEC §2 "The job"): the body of the job endpoints, the data of {@code
 * status} and {@code done} progress events, and the {@code data} of webhooks. One type for all
 * three, so a webhook and an SSE event always show the job exactly as {@code GET /v1/jobs/{id}}
 * does. {@link #json()} renders it the same way in either app.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(name = "Job", description = "A job: its status, and its result once it has one.")
public record JobView(
    @Schema(format = "uuid", example = "0b9a3f52-6c1e-4a8e-9d77-2f4c1b5e8a10") UUID id,
    @Schema(enumeration = {"queued", "running", "succeeded", "failed", "cancelled", "expired"})
        String status,
    @Schema(description = "The model the request asked for.", example = "gpt-4o-mini") String model,
    Instant createdAt,
    @Schema(nullable = true, description = "When the latest attempt started.") Instant startedAt,
    @Schema(nullable = true) Instant completedAt,
    @Schema(description = "Upstream attempts taken so far.") int attempts,
    @Schema(description = "Whether the result came from the cache.") boolean cached,
    @JsonRawValue
        @Schema(
            type = SchemaType.OBJECT,
            nullable = true,
            description = "The OpenAI chat.completion object, once the job succeeded.")
        String result,
    @Schema(nullable = true) Usage usage,
    @Schema(nullable = true, description = "What the job cost, in USD.", example = "0.000123")
        BigDecimal costUsd,
    @Schema(nullable = true) Error error,
    @JsonRawValue
        @Schema(
            type = SchemaType.OBJECT,
            additionalProperties = String.class,
            description = "The string pairs given at submit; empty when none were.")
        String metadata,
    @Schema(nullable = true) String webhookUrl,
    @Schema(nullable = true) ServedBy servedBy) {

  /**
   * Who answered the job: the provider and llmq's name of the model ({@code simulated} when the
   * built-in simulator did, which costs nothing); {@code null} until a call answers, and for an
   * answer from the cache.
   */
  @Schema(name = "ServedBy", description = "The provider and model that answered.")
  public record ServedBy(String provider, String model) {}

  /** Token counts of the job's final answer. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @Schema(name = "JobUsage", description = "Token counts of the job's final answer.")
  public record Usage(int promptTokens, int completionTokens, int totalTokens) {}

  /** Why a job failed. */
  @Schema(name = "JobError", description = "Why the job failed; the codes are FailureCode's.")
  public record Error(
      @Schema(
              enumeration = {
                "upstream_rate_limited",
                "upstream_error",
                "upstream_rejected",
                "context_length_exceeded",
                "invalid_output",
                "budget_exceeded",
                "internal"
              })
          String code,
      String message) {}

  /** The select list {@link #from(Row)} reads, for a query on {@code jobs}. */
  public static final String COLUMNS =
      "id, status, model, created_at, started_at, completed_at, attempts, cached,"
          + " result::text AS result, prompt_tokens, completion_tokens, total_tokens, cost_usd,"
          + " error_code, error_message, metadata::text AS metadata, webhook_url,"
          + " served_provider, served_model";

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();

  /** Builds the view from the plain values of a job row. */
  public static JobView of(
      UUID id,
      JobStatus status,
      String model,
      OffsetDateTime createdAt,
      OffsetDateTime startedAt,
      OffsetDateTime completedAt,
      int attempts,
      boolean cached,
      String resultJson,
      Integer promptTokens,
      Integer completionTokens,
      Integer totalTokens,
      BigDecimal costUsd,
      String errorCode,
      String errorMessage,
      String metadataJson,
      String webhookUrl,
      String servedProvider,
      String servedModel) {
    Usage usage =
        totalTokens == null
            ? null
            : new Usage(
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
        errorCode == null ? null : new Error(errorCode, errorMessage),
        metadataJson,
        webhookUrl,
        servedProvider == null ? null : new ServedBy(servedProvider, servedModel));
  }

  /** Reads a row selected with {@link #COLUMNS}. */
  public static JobView from(Row row) {
    return of(
        row.getUUID("id"),
        JobStatus.fromWire(row.getString("status")),
        row.getString("model"),
        row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("started_at"),
        row.getOffsetDateTime("completed_at"),
        row.getInteger("attempts"),
        row.getBoolean("cached"),
        row.getString("result"),
        row.getInteger("prompt_tokens"),
        row.getInteger("completion_tokens"),
        row.getInteger("total_tokens"),
        row.getBigDecimal("cost_usd"),
        row.getString("error_code"),
        row.getString("error_message"),
        row.getString("metadata"),
        row.getString("webhook_url"),
        row.getString("served_provider"),
        row.getString("served_model"));
  }

  /** The job's status as an enum. */
  public JobStatus jobStatus() {
    return JobStatus.fromWire(status);
  }

  /**
   * The assistant's text in the result ({@code choices[0].message.content}), empty when there is
   * none: what the job's {@code delta} events add up to.
   */
  public String content() {
    if (result == null) {
      return "";
    }
    try {
      return JSON.readTree(result)
          .path("choices")
          .path(0)
          .path("message")
          .path("content")
          .asText("");
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  /** The view as compact JSON, rendered as the api renders it. */
  public String json() {
    return write(this);
  }

  /** Writes any value with the same settings as {@link #json()}. */
  public static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a job view always serializes", e);
    }
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
