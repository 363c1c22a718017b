package io.llmq.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.output.ResponseFormat;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.ProvidersConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks the {@code request} of a submission: an OpenAI Chat Completions body with a known model,
 * well-formed messages and only the parameters llmq passes on (SPEC §2 Submit). {@code stream} is
 * accepted and dropped: llmq decides how it talks upstream. A {@code json_schema} response format
 * must hold a valid JSON Schema ({@link ResponseFormat#schemaProblems}). For a model of an {@code
 * anthropic} provider, what the Messages API cannot do is refused rather than dropped: {@code n}
 * above 1, and a JSON format (emulated by a forced tool call) together with tools of the request's
 * own or with a schema that does not describe an object.
 */
@ApplicationScoped
class ChatRequestValidator {

  private static final String PATH = "request";
  private static final Set<String> FIELDS =
      Set.of(
          "model",
          "messages",
          "max_tokens",
          "max_completion_tokens",
          "temperature",
          "top_p",
          "stop",
          "seed",
          "n",
          "response_format",
          "tools",
          "tool_choice",
          "presence_penalty",
          "frequency_penalty",
          "stream");
  private static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");
  private static final Set<String> RESPONSE_FORMATS = Set.of("text", "json_object", "json_schema");
  private static final Set<String> TOOL_CHOICES = Set.of("none", "auto", "required");
  private static final int MAX_MESSAGES = 10_000;
  private static final long MAX_TOKENS = 1_000_000;

  private static final String ANTHROPIC = "anthropic";
  private static final int MAX_SCHEMA_PROBLEMS = 3;

  private final ModelCatalog models;
  private final ProvidersConfig providers;

  ChatRequestValidator(ModelCatalog models, ProvidersConfig providers) {
    this.models = models;
    this.providers = providers;
  }

  /** The request to store: validated, with {@code stream} removed. */
  ObjectNode validate(JsonNode node) {
    ObjectNode request = (ObjectNode) Fields.object(node, PATH).deepCopy();
    Fields.onlyKnown(request, PATH, FIELDS);
    String model = Fields.text(request, PATH, "model", 200, true);
    if (!models.knows(model)) {
      throw ProblemException.invalid(
          "Unknown model '" + model + "'. Available: " + String.join(", ", models.names()) + ".");
    }
    messages(request.get("messages"));
    Fields.integer(request, PATH, "max_tokens", 1, MAX_TOKENS);
    Fields.integer(request, PATH, "max_completion_tokens", 1, MAX_TOKENS);
    Fields.number(request, PATH, "temperature", BigDecimal.ZERO, BigDecimal.TWO);
    Fields.number(request, PATH, "top_p", BigDecimal.ZERO, BigDecimal.ONE);
    Fields.number(request, PATH, "presence_penalty", BigDecimal.TWO.negate(), BigDecimal.TWO);
    Fields.number(request, PATH, "frequency_penalty", BigDecimal.TWO.negate(), BigDecimal.TWO);
    Fields.integer(request, PATH, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
    Fields.integer(request, PATH, "n", 1, 16);
    stop(request.get("stop"));
    responseFormat(request.get("response_format"));
    tools(request.get("tools"));
    toolChoice(request.get("tool_choice"));
    if (isAnthropic(model)) {
      anthropic(request, model);
    }
    request.remove("stream");
    return request;
  }

  private boolean isAnthropic(String model) {
    return models
        .providerOf(model)
        .map(name -> providers.providers().get(name))
        .map(provider -> ANTHROPIC.equals(provider.kind()))
        .orElse(false);
  }

  /** What the Messages API cannot be asked, named rather than dropped. */
  private static void anthropic(ObjectNode request, String model) {
    if (request.path("n").asInt(1) > 1) {
      throw ProblemException.invalid(
          "'request.n' must be 1 for model '"
              + model
              + "': Anthropic's Messages API answers with one choice.");
    }
    Optional<ResponseFormat> format = ResponseFormat.of(request);
    if (format.isEmpty()) {
      return;
    }
    if (request.path("tools").isArray() && !request.get("tools").isEmpty()) {
      throw ProblemException.invalid(
          "'request.response_format' cannot be combined with 'request.tools' for model '"
              + model
              + "': llmq asks Anthropic models for JSON through a forced tool call.");
    }
    Optional<JsonNode> schema = format.get().schema();
    if (schema.isPresent() && !"object".equals(schema.get().path("type").asText())) {
      throw ProblemException.invalid(
          "'request.response_format.json_schema.schema' must have \"type\": \"object\" for"
              + " model '"
              + model
              + "': Anthropic models answer JSON as a tool's input, which is an object.");
    }
  }

  private static void messages(JsonNode messages) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw ProblemException.invalid("'request.messages' must be a non-empty array.");
    }
    if (messages.size() > MAX_MESSAGES) {
      throw ProblemException.invalid(
          "'request.messages' holds more than " + MAX_MESSAGES + " messages.");
    }
    for (int i = 0; i < messages.size(); i++) {
      String path = "request.messages[" + i + "]";
      JsonNode message = Fields.object(messages.get(i), path);
      String role = Fields.text(message, path, "role", 32, true);
      if (!ROLES.contains(role)) {
        throw ProblemException.invalid(
            "'"
                + path
                + ".role' must be one of "
                + String.join(", ", ROLES.stream().sorted().toList())
                + ".");
      }
      JsonNode content = message.get("content");
      boolean hasToolCalls = message.has("tool_calls") && message.get("tool_calls").isArray();
      if (content == null || content.isNull()) {
        if (!hasToolCalls) {
          throw ProblemException.invalid("'" + path + ".content' is required.");
        }
      } else if (!content.isTextual() && !content.isArray()) {
        throw ProblemException.invalid(
            "'" + path + ".content' must be a string or an array of content parts.");
      } else if (content.isArray()) {
        for (int p = 0; p < content.size(); p++) {
          String part = path + ".content[" + p + "]";
          Fields.object(content.get(p), part);
          Fields.text(content.get(p), part, "type", 64, true);
        }
      }
    }
  }

  private static void stop(JsonNode stop) {
    if (stop == null || stop.isNull() || stop.isTextual()) {
      return;
    }
    if (!stop.isArray() || stop.size() > 4) {
      throw ProblemException.invalid("'request.stop' must be a string or up to 4 strings.");
    }
    stop.forEach(element -> {
      if (!element.isTextual()) {
        throw ProblemException.invalid("'request.stop' must be a string or up to 4 strings.");
      }
    });
  }

  private static void responseFormat(JsonNode format) {
    if (format == null || format.isNull()) {
      return;
    }
    Fields.object(format, "request.response_format");
    String type = Fields.text(format, "request.response_format", "type", 32, true);
    if (!RESPONSE_FORMATS.contains(type)) {
      throw ProblemException.invalid(
          "'request.response_format.type' must be text, json_object or json_schema.");
    }
    if (type.equals("json_schema")) {
      JsonNode spec =
          Fields.object(format.get("json_schema"), "request.response_format.json_schema");
      JsonNode name = spec.get("name");
      if (name != null && !name.isNull() && !name.isTextual()) {
        throw ProblemException.invalid(
            "'request.response_format.json_schema.name' must be a string.");
      }
      JsonNode schema = spec.get("schema");
      if (schema != null && !schema.isNull() && !schema.isObject()) {
        throw ProblemException.invalid(
            "'request.response_format.json_schema.schema' must be a JSON object.");
      }
      List<String> problems =
          ResponseFormat.ofFormat(format).map(ResponseFormat::schemaProblems).orElse(List.of());
      if (!problems.isEmpty()) {
        throw ProblemException.invalid(
            "'request.response_format.json_schema.schema' is not a valid JSON Schema: "
                + String.join(
                    "; ", problems.subList(0, Math.min(problems.size(), MAX_SCHEMA_PROBLEMS)))
                + (problems.size() > MAX_SCHEMA_PROBLEMS ? "; …" : "")
                + ".");
      }
    }
  }

  private static void tools(JsonNode tools) {
    if (tools == null || tools.isNull()) {
      return;
    }
    if (!tools.isArray()) {
      throw ProblemException.invalid("'request.tools' must be an array.");
    }
    for (int i = 0; i < tools.size(); i++) {
      String path = "request.tools[" + i + "]";
      Fields.object(tools.get(i), path);
      if ("function".equals(Fields.text(tools.get(i), path, "type", 64, true))) {
        Fields.object(tools.get(i).get("function"), path + ".function");
        Fields.text(tools.get(i).get("function"), path + ".function", "name", 64, true);
      }
    }
  }

  private static void toolChoice(JsonNode choice) {
    if (choice == null || choice.isNull() || choice.isObject()) {
      return;
    }
    if (!choice.isTextual() || !TOOL_CHOICES.contains(choice.textValue())) {
      throw ProblemException.invalid(
          "'request.tool_choice' must be none, auto, required or an object naming a tool.");
    }
  }
}
