package io.llmq.worker.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.job.FailureCode;
import io.llmq.worker.provider.ProviderException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an OpenAI Chat Completions request into an Anthropic Messages request: system and developer
 * messages become the top-level {@code system}, tool results become user turns, consecutive turns
 * of one role are merged (Anthropic requires alternation), a JSON {@code response_format} becomes a
 * forced tool call ({@link StructuredOutput}), and parameters Anthropic lacks (seed, penalties, …)
 * are dropped; {@code n} above 1 is refused at submit. {@code cache_control} on content parts is
 * kept, so prompt caching works through the OpenAI format.
 */
final class MessagesTranslator {

  private final ObjectMapper json;
  private final int defaultMaxTokens;
  private final ContentBlocks contentBlocks;
  private final ToolDefinitions toolDefinitions;

  MessagesTranslator(ObjectMapper json, int defaultMaxTokens) {
    this.json = json;
    this.defaultMaxTokens = defaultMaxTokens;
    this.contentBlocks = new ContentBlocks(json);
    this.toolDefinitions = new ToolDefinitions(json);
  }

  /** One Anthropic message while it is built: its content a string or a block array. */
  private record Turn(String role, JsonNode content) {}

  ObjectNode translate(JsonNode request, boolean stream) {
    ObjectNode out = json.createObjectNode();
    out.set("model", request.get("model"));
    JsonNode system = system(request.path("messages"));
    if (system != null) {
      out.set("system", system);
    }
    ArrayNode messages = out.putArray("messages");
    for (Turn turn : turns(request.path("messages"))) {
      messages.addObject().put("role", turn.role()).set("content", turn.content());
    }
    out.put("max_tokens", maxTokens(request));
    if (request.path("temperature").isNumber()) {
      // OpenAI allows 0–2, Anthropic 0–1.
      out.put("temperature", Math.clamp(request.get("temperature").asDouble(), 0.0, 1.0));
    }
    if (request.path("top_p").isNumber()) {
      out.set("top_p", request.get("top_p"));
    }
    stopSequences(request.path("stop"), out);
    toolDefinitions.addTo(request, out);
    StructuredOutput.addTo(request, out);
    if (request.path("user").isTextual()) {
      out.putObject("metadata").put("user_id", request.get("user").asText());
    }
    if (stream) {
      out.put("stream", true);
    }
    return out;
  }

  private int maxTokens(JsonNode request) {
    for (String field : List.of("max_completion_tokens", "max_tokens")) {
      if (request.path(field).canConvertToInt() && request.get(field).asInt() > 0) {
        return request.get(field).asInt();
      }
    }
    return defaultMaxTokens;
  }

  /** The system prompt: a string when every part is one, else text blocks (for cache_control). */
  private JsonNode system(JsonNode messages) {
    List<JsonNode> contents = new ArrayList<>();
    for (JsonNode message : messages) {
      String role = message.path("role").asText();
      if ("system".equals(role) || "developer".equals(role)) {
        contents.add(message.path("content"));
      }
    }
    if (contents.isEmpty()) {
      return null;
    }
    if (contents.stream().allMatch(JsonNode::isTextual)) {
      return json.getNodeFactory()
          .textNode(String.join("\n\n", contents.stream().map(JsonNode::asText).toList()));
    }
    ArrayNode blocks = json.createArrayNode();
    for (JsonNode content : contents) {
      for (JsonNode block : contentBlocks.asBlocks(contentBlocks.content(content))) {
        if (!"text".equals(block.path("type").asText())) {
          throw unsupported("a system message with " + block.path("type").asText() + " content");
        }
        blocks.add(block);
      }
    }
    return blocks;
  }

  private List<Turn> turns(JsonNode messages) {
    List<Turn> turns = new ArrayList<>();
    for (JsonNode message : messages) {
      Turn turn = turn(message);
      if (turn == null) {
        continue;
      }
      Turn last = turns.isEmpty() ? null : turns.getLast();
      if (last != null && last.role().equals(turn.role())) {
        ArrayNode merged = contentBlocks.asBlocks(last.content());
        merged.addAll(contentBlocks.asBlocks(turn.content()));
        turns.set(turns.size() - 1, new Turn(turn.role(), merged));
      } else {
        turns.add(turn);
      }
    }
    return turns;
  }

  /** One OpenAI message as a turn; {@code null} for system messages and empty assistant turns. */
  private Turn turn(JsonNode message) {
    String role = message.path("role").asText();
    return switch (role) {
      case "system", "developer" -> null;
      case "user" -> new Turn("user", contentBlocks.content(message.path("content")));
      case "assistant" -> assistant(message);
      case "tool" -> new Turn("user", toolResult(message));
      default -> throw unsupported("messages with the role " + role);
    };
  }

  private Turn assistant(JsonNode message) {
    JsonNode calls = message.path("tool_calls");
    if (!calls.isArray() || calls.isEmpty()) {
      JsonNode content = message.path("content");
      return content.isNull() || content.isMissingNode()
          ? null
          : new Turn("assistant", contentBlocks.content(content));
    }
    ArrayNode blocks = contentBlocks.asBlocks(contentBlocks.content(message.path("content")));
    for (JsonNode call : calls) {
      JsonNode function = call.path("function");
      ObjectNode use = blocks.addObject();
      use.put("type", "tool_use");
      use.put("id", call.path("id").asText());
      use.put("name", function.path("name").asText());
      use.set("input", toolInput(function.path("arguments")));
    }
    return new Turn("assistant", blocks);
  }

  private JsonNode toolInput(JsonNode arguments) {
    if (arguments.isObject()) {
      return arguments;
    }
    String text = arguments.asText("");
    if (text.isBlank()) {
      return json.createObjectNode();
    }
    try {
      JsonNode input = json.readTree(text);
      if (input.isObject()) {
        return input;
      }
    } catch (IOException e) {
      // reported below
    }
    throw unsupported("tool call arguments that are not a JSON object");
  }

  private ArrayNode toolResult(JsonNode message) {
    ObjectNode result = json.createObjectNode();
    result.put("type", "tool_result");
    result.put("tool_use_id", message.path("tool_call_id").asText());
    result.set("content", contentBlocks.content(message.path("content")));
    ArrayNode blocks = json.createArrayNode();
    blocks.add(result);
    return blocks;
  }

  private void stopSequences(JsonNode stop, ObjectNode out) {
    if (stop.isTextual()) {
      out.putArray("stop_sequences").add(stop.asText());
    } else if (stop.isArray() && !stop.isEmpty()) {
      out.set("stop_sequences", stop);
    }
  }

  static ProviderException unsupported(String what) {
    return new ProviderException(
        FailureCode.UPSTREAM_REJECTED, "Anthropic models do not accept " + what + ".");
  }
}
