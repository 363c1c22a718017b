package io.llmq.worker.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.RateLimitSnapshot;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Builds one {@code chat.completion} from the {@code chat.completion.chunk}s of an OpenAI stream:
 * content, tool calls (whose arguments arrive in pieces) and finish reasons per choice, and the
 * usage of the final chunk ({@code stream_options.include_usage}). Content of the first choice is
 * passed on as {@link Delta}s while it arrives.
 */
final class ChatStreamAssembler {

  private final ObjectMapper json;
  private final Consumer<Delta> deltas;
  private final Map<Integer, Choice> choices = new TreeMap<>();
  private JsonNode first;
  private JsonNode usage;
  private int chunks;

  ChatStreamAssembler(ObjectMapper json, Consumer<Delta> deltas) {
    this.json = json;
    this.deltas = deltas;
  }

  private static final class Choice {
    final StringBuilder content = new StringBuilder();
    final Map<Integer, ObjectNode> toolCalls = new TreeMap<>();
    final Map<Integer, StringBuilder> arguments = new TreeMap<>();
    String role = "assistant";
    String finishReason;
    boolean sawContent;
  }

  /** Takes one {@code data:} payload; returns false for the {@code [DONE]} marker. */
  boolean accept(String data) throws com.fasterxml.jackson.core.JsonProcessingException {
    if ("[DONE]".equals(data.trim())) {
      return false;
    }
    JsonNode chunk = json.readTree(data);
    if (chunk.has("error")) {
      // Some servers (vLLM, gateways) report a failure inside the stream, then end it normally.
      throw FailureClassifier.forStatus(
          statusOf(chunk.get("error")), chunk.toString(), RateLimitSnapshot.NONE);
    }
    if (first == null) {
      first = chunk;
    }
    if (chunk.hasNonNull("usage")) {
      usage = chunk.get("usage");
    }
    for (JsonNode part : chunk.path("choices")) {
      Choice choice = choices.computeIfAbsent(part.path("index").asInt(0), i -> new Choice());
      JsonNode delta = part.path("delta");
      if (delta.hasNonNull("role")) {
        choice.role = delta.get("role").asText();
      }
      if (delta.hasNonNull("content")) {
        String text = delta.get("content").asText();
        choice.content.append(text);
        choice.sawContent = true;
        if (part.path("index").asInt(0) == 0 && !text.isEmpty()) {
          chunks++;
          deltas.accept(new Delta(text, chunks));
        }
      }
      for (JsonNode call : delta.path("tool_calls")) {
        mergeToolCall(choice, call);
      }
      if (part.hasNonNull("finish_reason")) {
        choice.finishReason = part.get("finish_reason").asText();
      }
    }
    return true;
  }

  /** The HTTP status an in-stream error stands for, so it is classified like a response. */
  static int statusOf(JsonNode error) {
    JsonNode code = error.path("code");
    if (code.canConvertToInt() && code.asInt() >= 400 && code.asInt() < 600) {
      return code.asInt();
    }
    String text = error.toString();
    if (text.contains("rate_limit")) {
      return 429;
    }
    return FailureClassifier.isContextLength(text) || text.contains("invalid_request") ? 400 : 500;
  }

  private void mergeToolCall(Choice choice, JsonNode piece) {
    int index = piece.path("index").asInt(0);
    ObjectNode call =
        choice.toolCalls.computeIfAbsent(
            index,
            i -> {
              ObjectNode created = json.createObjectNode();
              created.putObject("function");
              return created;
            });
    if (piece.hasNonNull("id")) {
      call.put("id", piece.get("id").asText());
    }
    if (piece.hasNonNull("type")) {
      call.put("type", piece.get("type").asText());
    }
    ObjectNode function = (ObjectNode) call.get("function");
    JsonNode fn = piece.path("function");
    if (fn.hasNonNull("name")) {
      function.put("name", fn.get("name").asText());
    }
    if (fn.hasNonNull("arguments")) {
      choice
          .arguments
          .computeIfAbsent(index, i -> new StringBuilder())
          .append(fn.get("arguments").asText());
    }
  }

  /** Whether the first choice said why it stopped: a stream without that is cut short. */
  boolean finished() {
    Choice choice = choices.get(0);
    return choice != null && choice.finishReason != null;
  }

  boolean sawAnything() {
    return first != null;
  }

  /** Usage as the provider reported it, or {@code null} when the stream carried none. */
  JsonNode usage() {
    return usage;
  }

  /** Content chunks of the first choice: the completion tokens when no usage arrived. */
  int contentChunks() {
    return chunks;
  }

  ObjectNode completion(String fallbackModel) {
    ObjectNode result = json.createObjectNode();
    result.put(
        "id", first == null ? "chatcmpl-unknown" : first.path("id").asText("chatcmpl-unknown"));
    result.put("object", "chat.completion");
    result.put("created", first == null ? 0 : first.path("created").asLong(0));
    result.put("model", first == null ? fallbackModel : first.path("model").asText(fallbackModel));
    if (first != null && first.hasNonNull("system_fingerprint")) {
      result.set("system_fingerprint", first.get("system_fingerprint"));
    }
    ArrayNode out = result.putArray("choices");
    for (Map.Entry<Integer, Choice> entry : choices.entrySet()) {
      Choice choice = entry.getValue();
      ObjectNode item = out.addObject();
      item.put("index", entry.getKey());
      ObjectNode message = item.putObject("message");
      message.put("role", choice.role);
      if (choice.sawContent || choice.toolCalls.isEmpty()) {
        message.put("content", choice.content.toString());
      } else {
        message.putNull("content");
      }
      if (!choice.toolCalls.isEmpty()) {
        ArrayNode calls = message.putArray("tool_calls");
        for (Map.Entry<Integer, ObjectNode> call : choice.toolCalls.entrySet()) {
          StringBuilder arguments = choice.arguments.get(call.getKey());
          ((ObjectNode) call.getValue().get("function"))
              .put("arguments", arguments == null ? "" : arguments.toString());
          calls.add(call.getValue());
        }
      }
      item.put("finish_reason", choice.finishReason);
    }
    if (usage != null) {
      result.set("usage", usage);
    }
    return result;
  }
}
