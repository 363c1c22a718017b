package io.llmq.common.guardrails;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What one input screen found (SPEC §2 The job {@code guardrails.moderation}, {@code
 * guardrails.injection}).
 *
 * @param flagged whether the screen found the input objectionable
 * @param checker what judged: {@code local-rules}, {@code openai-moderation:<provider>}, {@code
 *     heuristics}, {@code classifier:<model>}, …
 * @param categories what it found: moderation categories, or injection families; empty when nothing
 * @param scores the checker's score per category, from 0 to 1
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(name = "GuardrailVerdict", description = "What one input screen found.")
public record Verdict(
    boolean flagged,
    @Schema(description = "What judged the input.", example = "local-rules") String checker,
    List<String> categories,
    Map<String, Double> scores) {

  public Verdict {
    categories = categories == null ? List.of() : List.copyOf(categories);
    scores = scores == null ? Map.of() : Map.copyOf(scores);
  }
}
