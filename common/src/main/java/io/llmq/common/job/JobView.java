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
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * A job as clients see it (SPEC §2 "The job"): the body of the job endpoints, the data of {@code
 * status} and {@code done} progress events, and the {@code data} of webhooks. One type for all
 * three, so a webhook and an SSE event always show the job exactly as {@code GET /v1/jobs/{id}}
 * does. {@link #json()} renders it the same way in either app; {@link JobRow#view()} makes it from
 * a job's row.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobView(
    UUID id,
    String status,
    String model,
    Instant createdAt,
    Instant startedAt,
    Instant completedAt,
    int attempts,
    boolean cached,
    @JsonRawValue String result,
    Usage usage,
    BigDecimal costUsd,
    Error error,
    @JsonRawValue String metadata,
    String webhookUrl,
    ServedBy servedBy) {

  /**
   * Who answered the job: the provider and llmq's name of the model ({@code simulated} when the
   * built-in simulator did, which costs nothing); {@code null} until a call answers, and for an
   * answer from the cache.
   */
  public record ServedBy(String provider, String model) {}

  /** Token counts of the job's final answer. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Usage(int promptTokens, int completionTokens, int totalTokens) {}

  /** Why a job failed. */
  public record Error(String code, String message) {}

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
