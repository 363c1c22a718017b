package io.llmq.worker.provider.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.RateLimitSnapshot;
import java.time.Instant;

/**
 * Turns an Anthropic {@code message} (as returned, or as assembled from a stream) into an OpenAI
 * {@code chat.completion} and the billed usage. Anthropic counts cached prompt tokens apart from
 * {@code input_tokens}; OpenAI's {@code prompt_tokens} includes them, so they are added back.
 */
final class CompletionTranslator {

  private final ObjectMapper json;

  CompletionTranslator(ObjectMapper json) {
    this.json = json;
  }

  Completion translate(JsonNode message, String fallbackModel, RateLimitSnapshot limits) {
    return translate(message, fallbackModel, limits, null, null);
  }

  /**
   * As above, for a request whose JSON format was emulated by the forced tool {@code answerTool}
   * ({@code null}: none): that tool's input is the message's content, as JSON text ({@code
   * answerText} when the stream gave it, so the content equals the deltas; else the input
   * serialized).
   */
  Completion translate(
      JsonNode message,
      String fallbackModel,
      RateLimitSnapshot limits,
      String answerTool,
      String answerText) {
    if (!message.isObject() || !message.path("content").isArray()) {
      throw FailureClassifier.malformed();
    }
    JsonNode usage = message.path("usage");
    int input = usage.path("input_tokens").asInt(0);
    int cacheRead = usage.path("cache_read_input_tokens").asInt(0);
    int cacheWrite = usage.path("cache_creation_input_tokens").asInt(0);
    int output = usage.path("output_tokens").asInt(0);
    int prompt = input + cacheRead + cacheWrite;

    ObjectNode result = json.createObjectNode();
    result.put("id", message.path("id").asText("msg-unknown"));
    result.put("object", "chat.completion");
    result.put("created", Instant.now().getEpochSecond());
    result.put("model", message.path("model").asText(fallbackModel));
    ObjectNode choice = result.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode assistant = assistantMessage(message.get("content"), answerTool, answerText);
    choice.set("message", assistant);
    String stopReason = message.path("stop_reason").asText("");
    choice.put(
        "finish_reason",
        answerTool != null && "tool_use".equals(stopReason) && !assistant.has("tool_calls")
            ? "stop"
            : finishReason(stopReason));
    ObjectNode openAiUsage = result.putObject("usage");
    openAiUsage.put("prompt_tokens", prompt);
    openAiUsage.put("completion_tokens", output);
    openAiUsage.put("total_tokens", prompt + output);
    openAiUsage.putObject("prompt_tokens_details").put("cached_tokens", cacheRead);
    return new Completion(result, prompt, cacheRead, cacheWrite, output, limits);
  }

  private ObjectNode assistantMessage(JsonNode content, String answerTool, String answerText) {
    StringBuilder text = new StringBuilder();
    boolean sawText = false;
    ArrayNode calls = json.createArrayNode();
    String answer = null;
    for (JsonNode block : content) {
      if (answerTool != null
          && answer == null
          && "tool_use".equals(block.path("type").asText())
          && answerTool.equals(block.path("name").asText())) {
        answer = answerText != null ? answerText : inputText(block);
        continue;
      }
      switch (block.path("type").asText()) {
        case "text" -> {
          text.append(block.path("text").asText());
          sawText = true;
        }
        case "tool_use" -> calls.add(toolCall(block));
        default -> {
          // thinking and server-tool blocks have no place in a chat.completion
        }
      }
    }
    ObjectNode message = json.createObjectNode().put("role", "assistant");
    if (answer != null) {
      // The forced tool's input is the answer; text the model wrote around it is not.
      message.put("content", answer);
      return message;
    }
    if (sawText || calls.isEmpty()) {
      message.put("content", text.toString());
    } else {
      message.putNull("content");
    }
    if (!calls.isEmpty()) {
      message.set("tool_calls", calls);
    }
    return message;
  }

  private String inputText(JsonNode block) {
    try {
      JsonNode input = block.path("input");
      return json.writeValueAsString(input.isMissingNode() ? json.createObjectNode() : input);
    } catch (JsonProcessingException e) {
      throw FailureClassifier.malformed();
    }
  }

  private ObjectNode toolCall(JsonNode block) {
    ObjectNode call = json.createObjectNode();
    call.put("id", block.path("id").asText());
    call.put("type", "function");
    ObjectNode function = call.putObject("function");
    function.put("name", block.path("name").asText());
    try {
      JsonNode input = block.path("input");
      function.put(
          "arguments",
          json.writeValueAsString(input.isMissingNode() ? json.createObjectNode() : input));
    } catch (JsonProcessingException e) {
      throw FailureClassifier.malformed();
    }
    return call;
  }

  static String finishReason(String stopReason) {
    return switch (stopReason) {
      case "max_tokens" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn
    };
  }
}
