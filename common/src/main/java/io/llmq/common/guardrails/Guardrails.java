package io.llmq.common.guardrails;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What the guardrails did to a job (SPEC §2 The job {@code guardrails}), stored in {@code
 * jobs.guardrails} as this record's JSON: the input screens' verdicts ({@code null} for a screen
 * that did not run), the repairs of invalid output, and the turns dropped to fit the context
 * window.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(
    name = "JobGuardrails",
    description = "What the guardrails did: screens' verdicts, output repairs, trimmed turns.")
public record Guardrails(
    @Schema(nullable = true) Verdict moderation,
    @Schema(nullable = true) Verdict injection,
    @Schema(description = "Re-prompts made to repair output that failed its schema.") int repairs,
    @Schema(description = "Oldest turns dropped to fit the model's context window.")
        int trimmedMessages) {

  /** Nothing done yet. */
  public static final Guardrails NONE = new Guardrails(null, null, 0, 0);

  private static final ObjectMapper JSON =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  public Guardrails withModeration(Verdict verdict) {
    return new Guardrails(verdict, injection, repairs, trimmedMessages);
  }

  public Guardrails withInjection(Verdict verdict) {
    return new Guardrails(moderation, verdict, repairs, trimmedMessages);
  }

  public Guardrails withRepairs(int count) {
    return new Guardrails(moderation, injection, count, trimmedMessages);
  }

  public Guardrails withTrimmedMessages(int count) {
    return new Guardrails(moderation, injection, repairs, count);
  }

  /** The record as stored in {@code jobs.guardrails}. */
  public String json() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("guardrails always serialize", e);
    }
  }

  /** Reads a {@code jobs.guardrails} value; {@code null} for {@code null}. */
  public static Guardrails parse(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JSON.readValue(json, Guardrails.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("jobs.guardrails holds what json() wrote", e);
    }
  }
}
