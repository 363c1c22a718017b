package io.llmq.simulator.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.call.Call;
import io.llmq.simulator.call.PromptUsage;
import io.llmq.simulator.call.StreamEvents;
import java.io.IOException;
import java.util.UUID;

/** The {@code message} object and the Messages API's stream of named events. */
final class MessageBodies {

  private MessageBodies() {}

  static ObjectNode message(Call call, Answer answer, PromptUsage usage) {
    ObjectNode message = start(newId(), call);
    String tool = toolOf(call);
    if (tool == null) {
      message
          .withArrayProperty("content")
          .addObject()
          .put("type", "text")
          .put("text", answer.text());
    } else {
      ObjectNode use = toolUse(tool);
      use.set("input", input(answer.text()));
      message.withArrayProperty("content").add(use);
    }
    message.put("stop_reason", stopReason(call, answer));
    message.set("usage", usage(usage).put("output_tokens", answer.size()));
    return message;
  }

  /**
   * message_start, content_block_start and ping; a content_block_delta per token;
   * content_block_stop, message_delta and message_stop.
   */
  static final class Events implements StreamEvents {

    private final Call call;
    private final PromptUsage usage;

    Events(Call call, PromptUsage usage) {
      this.call = call;
      this.usage = usage;
    }

    @Override
    public String opening() {
      ObjectNode message = start(newId(), call);
      message.set("usage", usage(usage).put("output_tokens", 1));
      ObjectNode block = object("content_block_start").put("index", 0);
      String tool = toolOf(call);
      if (tool == null) {
        block.putObject("content_block").put("type", "text").put("text", "");
      } else {
        ObjectNode use = toolUse(tool);
        use.putObject("input");
        block.set("content_block", use);
      }
      return event(object("message_start").set("message", message))
          + event(block)
          + event(object("ping"));
    }

    @Override
    public String token(String piece) {
      ObjectNode delta = object("content_block_delta").put("index", 0);
      if (toolOf(call) == null) {
        delta.putObject("delta").put("type", "text_delta").put("text", piece);
      } else {
        delta.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
      }
      return event(delta);
    }

    @Override
    public String closing(Answer answer) {
      ObjectNode delta = object("message_delta");
      delta
          .putObject("delta")
          .put("stop_reason", stopReason(call, answer))
          .putNull("stop_sequence");
      delta.putObject("usage").put("output_tokens", answer.size());
      return event(object("content_block_stop").put("index", 0))
          + event(delta)
          + event(object("message_stop"));
    }

    private static ObjectNode object(String type) {
      return JsonNodeFactory.instance.objectNode().put("type", type);
    }

    private static String event(ObjectNode data) {
      return "event: " + data.get("type").textValue() + "\ndata: " + data + "\n\n";
    }
  }

  /** The message as message_start shows it: no content or stop reason yet. */
  private static ObjectNode start(String id, Call call) {
    ObjectNode message =
        JsonNodeFactory.instance
            .objectNode()
            .put("id", id)
            .put("type", "message")
            .put("role", "assistant")
            .put("model", call.conversation().model());
    message.putArray("content");
    message.putNull("stop_reason");
    message.putNull("stop_sequence");
    return message;
  }

  private static ObjectNode usage(PromptUsage usage) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("input_tokens", usage.input())
        .put("cache_creation_input_tokens", usage.cacheCreation())
        .put("cache_read_input_tokens", usage.cacheRead());
  }

  private static String stopReason(Call call, Answer answer) {
    if (answer.cut()) {
      return "max_tokens";
    }
    return toolOf(call) == null ? "end_turn" : "tool_use";
  }

  /** The tool the call forced; {@code null} for a plain text answer. */
  private static String toolOf(Call call) {
    return call.structured() == null ? null : call.structured().tool();
  }

  private static ObjectNode toolUse(String tool) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("type", "tool_use")
        .put("id", "toolu_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24))
        .put("name", tool);
  }

  /** The tool's input: the answer's JSON, or {@code {}} when it was cut short. */
  private static JsonNode input(String text) {
    try {
      JsonNode input = JSON.readTree(text);
      return input != null && input.isObject() ? input : JsonNodeFactory.instance.objectNode();
    } catch (IOException e) {
      return JsonNodeFactory.instance.objectNode();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private static String newId() {
    return "msg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
  }
}
