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
import io.llmq.common.guardrails.Guardrails;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A job as clients see it (SPEC §2 "The job"): the body of the job endpoints, the data of {@code
 * status} and {@code done} progress events, and the {@code data} of webhooks. One type for all
 * three, so a webhook and an SSE event always show the job exactly as {@code GET /v1/jobs/{id}}
 * does. {@link #json()} renders it the same way in either app; {@link JobRow#view()} makes it from
 * a job's row.
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
    @Schema(
            enumeration = {"high", "normal", "low"},
            description =
                "The job's order among its own tenant's jobs, within the tenant's share of a limit.")
        String priority,
    @Schema(nullable = true) Queue queue,
    @Schema(nullable = true) ServedBy servedBy,
    @Schema(nullable = true) Guardrails guardrails) {

  /**
   * A queued job's place (SPEC §2 {@code queue}): the calls ahead of it in the governor's waiting
   * room, in fair order, and when it should start, from the provider's buckets; {@code
   * estimated_start_at} is {@code null} when the job is not waiting for capacity (on its way to a
   * worker, or waiting out a retry's backoff).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @Schema(
      name = "JobQueue",
      description =
          "Only while queued: calls ahead of the job in the governor's fair order, and when it"
              + " should start.")
  public record Queue(
      @Schema(description = "Calls ahead of the job.") long position,
      @Schema(nullable = true) Instant estimatedStartAt) {}

  /** This view with the queued job's place, {@code null} when unknown or not queued. */
  public JobView withQueue(Queue queue) {
    return new JobView(
        id,
        status,
        model,
        createdAt,
        startedAt,
        completedAt,
        attempts,
        cached,
        result,
        usage,
        costUsd,
        error,
        metadata,
        webhookUrl,
        priority,
        JobStatus.QUEUED.wire().equals(status) ? queue : null,
        servedBy,
        guardrails);
  }

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
                "content_blocked",
                "budget_exceeded",
                "internal"
              })
          String code,
      String message) {}

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();

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
}
