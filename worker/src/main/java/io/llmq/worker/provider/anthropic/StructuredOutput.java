package io.llmq.worker.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.output.ResponseFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A JSON {@code response_format} on the Messages API, which has none: emulated by a forced tool
 * call. The request gets one more tool whose {@code input_schema} is the format's schema ({@code
 * {"type": "object"}} for {@code json_object}) and {@code tool_choice} {@code {"type": "tool",
 * "name": ...}}; the answer's {@code tool_use} input comes back as the message's content, as JSON
 * text, so it is validated like any provider's answer. The tool is named after {@code
 * json_schema.name} when that is a valid tool name, else {@value #DEFAULT_NAME}.
 */
final class StructuredOutput {

  static final String DEFAULT_NAME = "json_answer";

  private static final Pattern TOOL_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

  private StructuredOutput() {}

  /** The forced tool's name for {@code request}; empty when it asks for no JSON format. */
  static Optional<String> toolName(JsonNode request) {
    return ResponseFormat.of(request)
        .map(format ->
            format.name().filter(name -> TOOL_NAME.matcher(name).matches()).orElse(DEFAULT_NAME));
  }

  /** Adds the forced tool to the translated request {@code out}, if the request asks for one. */
  static void addTo(JsonNode request, ObjectNode out) {
    Optional<ResponseFormat> format = ResponseFormat.of(request);
    if (format.isEmpty()) {
      return;
    }
    String name = toolName(request).orElseThrow();
    ArrayNode tools = out.withArray("tools");
    ObjectNode tool = tools.addObject().put("name", name);
    JsonNode description = request.path("response_format").path("json_schema").path("description");
    tool.put(
        "description",
        description.isTextual()
            ? description.textValue()
            : "Give your whole answer as this tool's input.");
    JsonNode schema = format.get().schema().orElse(null);
    tool.set(
        "input_schema",
        schema != null && schema.isObject() ? schema : out.objectNode().put("type", "object"));
    out.putObject("tool_choice").put("type", "tool").put("name", name);
  }
}
