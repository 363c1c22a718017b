package io.llmq.worker.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.output.ResponseFormat;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Output validation with repair (SPEC §3 Guardrails): checks an answer against its request's {@code
 * response_format} ({@link ResponseFormat}), and for an invalid one builds the repair that the
 * job's next attempt sends: the invalid answer as an assistant turn, then a user turn listing the
 * validation errors and asking for a corrected answer. Counts {@code llmq.guardrails.repaired}
 * (re-prompts made) and {@code llmq.guardrails.invalid} (jobs failed {@code invalid_output}), both
 * tagged with the model.
 */
@ApplicationScoped
public class OutputRepairs {

  /** Longest {@code error.message} of an {@code invalid_output} job, in characters. */
  static final int MAX_MESSAGE = 2_000;

  /** Longest invalid answer kept for the repair prompt, in characters; the rest is cut. */
  static final int MAX_ANSWER = 100_000;

  /** An answer that failed its format: the text the repair quotes, and what was wrong. */
  public record Invalid(String answer, List<String> errors) {}

  /**
   * How many times an answer that fails its {@code response_format} goes back to the model with its
   * errors before the job fails {@code invalid_output} ({@code llmq.guardrails.max-repairs}).
   * Default 1; 0 fails at once.
   */
  private final int maxRepairs;

  private final ObjectMapper json;
  private final MeterRegistry metrics;

  OutputRepairs(
      @ConfigProperty(name = "llmq.guardrails.max-repairs", defaultValue = "1") int maxRepairs,
      ObjectMapper json,
      MeterRegistry metrics) {
    if (maxRepairs < 0) {
      throw new IllegalStateException("llmq.guardrails.max-repairs must be 0 or more");
    }
    this.maxRepairs = maxRepairs;
    this.json = json;
    this.metrics = metrics;
  }

  public int maxRepairs() {
    return maxRepairs;
  }

  /**
   * What is wrong with {@code result} (a {@code chat.completion}) for {@code request}: empty when
   * the request asks for no format, or every choice satisfies it. A choice that calls tools is not
   * an answer to check.
   */
  public Optional<Invalid> check(JsonNode request, JsonNode result) {
    Optional<ResponseFormat> format = ResponseFormat.of(request);
    if (format.isEmpty()) {
      return Optional.empty();
    }
    JsonNode choices = result.path("choices");
    Invalid first = null;
    List<String> errors = new ArrayList<>();
    for (JsonNode choice : choices) {
      JsonNode message = choice.path("message");
      if (message.path("tool_calls").isArray() && !message.get("tool_calls").isEmpty()) {
        continue;
      }
      String content = text(message.path("content"));
      List<String> found = format.get().errorsOf(content);
      if (found.isEmpty()) {
        continue;
      }
      String prefix = choices.size() > 1 ? "choice " + choice.path("index").asInt() + ": " : "";
      found.forEach(error -> errors.add(prefix + error));
      if (first == null) {
        first = new Invalid(content, List.of());
      }
    }
    return first == null ? Optional.empty() : Optional.of(new Invalid(first.answer(), errors));
  }

  /** The repair entry that {@code jobs.repair} keeps for {@code invalid}: a one-entry array. */
  public String entries(Invalid invalid) {
    ArrayNode entries = json.createArrayNode();
    ObjectNode entry = entries.addObject();
    String answer = invalid.answer();
    entry.put("answer", answer.length() > MAX_ANSWER ? answer.substring(0, MAX_ANSWER) : answer);
    ArrayNode errors = entry.putArray("errors");
    invalid.errors().forEach(errors::add);
    return entries.toString();
  }

  /**
   * Adds the turns of the job's repairs so far ({@code repairJson}, as {@code jobs.repair} holds
   * them; {@code null}: none) to the request the provider gets. The cache key was taken before.
   */
  public void amend(ObjectNode request, String repairJson) {
    if (repairJson == null) {
      return;
    }
    JsonNode entries;
    try {
      entries = json.readTree(repairJson);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("jobs.repair holds what entries() wrote", e);
    }
    ArrayNode messages = request.withArray("messages");
    String wanted = wanted(request);
    for (JsonNode entry : entries) {
      messages.addObject().put("role", "assistant").put("content", entry.path("answer").asText());
      StringBuilder ask = new StringBuilder("Your previous answer did not match ");
      ask.append(wanted).append(". Validation errors:\n");
      for (JsonNode error : entry.path("errors")) {
        ask.append("- ").append(error.asText()).append('\n');
      }
      ask.append("Answer again with only the corrected JSON, and nothing else.");
      messages.addObject().put("role", "user").put("content", ask.toString());
    }
  }

  /**
   * The {@code error.message} of a job whose answer stayed invalid after {@code repairs} repairs:
   * the errors, cut to {@value #MAX_MESSAGE} characters.
   */
  public String failureMessage(Invalid invalid, int repairs) {
    String message =
        "The answer did not match the requested response format"
            + (repairs == 0 ? "" : " after " + repairs + (repairs == 1 ? " repair" : " repairs"))
            + ": "
            + String.join("; ", invalid.errors());
    return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 1) + "…";
  }

  /** A repair was asked for: an answer of {@code model} went back with its errors. */
  public void repaired(String model) {
    metrics.counter("llmq.guardrails.repaired", "model", model).increment();
  }

  /** A job of {@code model} failed {@code invalid_output}. */
  public void invalid(String model) {
    metrics.counter("llmq.guardrails.invalid", "model", model).increment();
  }

  private static String wanted(JsonNode request) {
    Optional<ResponseFormat> format = ResponseFormat.of(request);
    if (format.isEmpty() || format.get().kind() == ResponseFormat.Kind.JSON_OBJECT) {
      return "the required format (a single JSON object)";
    }
    return format
        .get()
        .name()
        .map(name -> "the required JSON schema '" + name + "'")
        .orElse("the required JSON schema");
  }

  private static String text(JsonNode content) {
    if (content.isTextual()) {
      return content.textValue();
    }
    if (content.isArray()) {
      StringBuilder text = new StringBuilder();
      content.forEach(part -> text.append(part.path("text").asText("")));
      return text.toString();
    }
    return "";
  }
}
