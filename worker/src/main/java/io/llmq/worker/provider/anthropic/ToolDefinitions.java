package io.llmq.worker.provider.anthropic;

import static io.llmq.worker.provider.anthropic.MessagesTranslator.unsupported;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenAI function tools and {@code tool_choice} as Anthropic tools and tool choice; {@code
 * parallel_tool_calls: false} becomes {@code disable_parallel_tool_use}.
 */
final class ToolDefinitions {

  private final ObjectMapper json;

  ToolDefinitions(ObjectMapper json) {
    this.json = json;
  }

  void addTo(JsonNode request, ObjectNode out) {
    ArrayNode tools = json.createArrayNode();
    for (JsonNode tool : request.path("tools")) {
      if (!"function".equals(tool.path("type").asText("function"))) {
        throw unsupported("tools of type " + tool.path("type").asText());
      }
      JsonNode function = tool.path("function");
      ObjectNode translated = tools.addObject().put("name", function.path("name").asText());
      if (function.hasNonNull("description")) {
        translated.set("description", function.get("description"));
      }
      translated.set(
          "input_schema",
          function.path("parameters").isObject()
              ? function.get("parameters")
              : json.createObjectNode().put("type", "object"));
      // A cache breakpoint on the tool definitions (the usual place for one) stays in place.
      JsonNode cacheControl =
          tool.has("cache_control") ? tool.get("cache_control") : function.get("cache_control");
      if (cacheControl != null && cacheControl.isObject()) {
        translated.set("cache_control", cacheControl);
      }
    }
    if (!tools.isEmpty()) {
      out.set("tools", tools);
    }
    ObjectNode choice = toolChoice(request.path("tool_choice"));
    if (request.path("parallel_tool_calls").isBoolean()
        && !request.get("parallel_tool_calls").asBoolean()
        && !tools.isEmpty()) {
      if (choice == null) {
        choice = json.createObjectNode().put("type", "auto");
      }
      if (!"none".equals(choice.path("type").asText())) {
        choice.put("disable_parallel_tool_use", true);
      }
    }
    if (choice != null) {
      out.set("tool_choice", choice);
    }
  }

  private ObjectNode toolChoice(JsonNode choice) {
    if (choice.isTextual()) {
      return switch (choice.asText()) {
        case "none" -> json.createObjectNode().put("type", "none");
        case "auto" -> json.createObjectNode().put("type", "auto");
        case "required" -> json.createObjectNode().put("type", "any");
        default -> throw unsupported("tool_choice " + choice.asText());
      };
    }
    if (choice.isObject()) {
      return json.createObjectNode()
          .put("type", "tool")
          .put("name", choice.path("function").path("name").asText());
    }
    return null;
  }
}
