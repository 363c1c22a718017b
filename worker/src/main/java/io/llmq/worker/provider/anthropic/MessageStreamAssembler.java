package io.llmq.worker.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.RateLimitSnapshot;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Rebuilds one Anthropic {@code message} from the server-sent events of a Messages stream: the
 * message from {@code message_start}, content blocks from their start, deltas (text, and tool input
 * as pieces of JSON) and stop, stop reason and final usage from {@code message_delta}. Text is
 * passed on as {@link Delta}s while it arrives. An {@code error} event fails the call like the HTTP
 * status its type stands for; unknown events are ignored, as Anthropic asks of clients.
 */
final class MessageStreamAssembler {

  private final ObjectMapper json;
  private final Consumer<Delta> deltas;
  private final RateLimitSnapshot limits;
  private final Map<Integer, Block> blocks = new TreeMap<>();
  private final StringBuilder data = new StringBuilder();
  private String event;
  private boolean hasData;
  private ObjectNode message;
  private boolean stopped;
  private int textDeltas;

  /** The forced tool whose input is the answer ({@link StructuredOutput}); {@code null}: none. */
  private final String answerTool;

  MessageStreamAssembler(ObjectMapper json, Consumer<Delta> deltas, RateLimitSnapshot limits) {
    this(json, deltas, limits, null);
  }

  /** As above; the input of {@code answerTool}'s call is passed on as deltas, like text. */
  MessageStreamAssembler(
      ObjectMapper json, Consumer<Delta> deltas, RateLimitSnapshot limits, String answerTool) {
    this.json = json;
    this.deltas = deltas;
    this.limits = limits;
    this.answerTool = answerTool;
  }

  /** The raw JSON text of the answer tool's input as streamed; {@code null} when none came. */
  String answerText() {
    if (answerTool == null) {
      return null;
    }
    for (Block block : blocks.values()) {
      if ("tool_use".equals(block.node().path("type").asText())
          && answerTool.equals(block.node().path("name").asText())
          && !block.partialJson().isEmpty()) {
        return block.partialJson().toString();
      }
    }
    return null;
  }

  private record Block(ObjectNode node, StringBuilder text, StringBuilder partialJson) {}

  /** Takes one line of the stream, without its ending. */
  void accept(String line) {
    if (stopped) {
      return;
    }
    if (line.isEmpty()) {
      dispatch();
    } else if (line.startsWith("event:")) {
      event = fieldValue(line, 6);
    } else if (line.startsWith("data:")) {
      if (hasData) {
        data.append('\n');
      }
      data.append(fieldValue(line, 5));
      hasData = true;
    }
  }

  /** The stream ended: an event not followed by a blank line still counts. */
  void end() {
    if (!stopped) {
      dispatch();
    }
  }

  boolean sawAnything() {
    return message != null;
  }

  /** Whether {@code message_stop} arrived. */
  boolean complete() {
    return stopped;
  }

  /** The message as the stream built it, in the shape of a non-streaming response. */
  ObjectNode message() {
    ObjectNode result = message.deepCopy();
    ArrayNode content = result.putArray("content");
    for (Block block : blocks.values()) {
      ObjectNode node = block.node().deepCopy();
      if ("text".equals(node.path("type").asText())) {
        node.put("text", block.text().toString());
      } else if ("tool_use".equals(node.path("type").asText()) && !block.partialJson().isEmpty()) {
        node.set("input", parse(block.partialJson().toString()));
      }
      content.add(node);
    }
    return result;
  }

  private static String fieldValue(String line, int from) {
    return line.length() > from && line.charAt(from) == ' '
        ? line.substring(from + 1)
        : line.substring(from);
  }

  private void dispatch() {
    if (!hasData) {
      event = null;
      return;
    }
    JsonNode payload = parse(data.toString());
    String type = payload.path("type").asText(event == null ? "" : event);
    data.setLength(0);
    hasData = false;
    event = null;
    switch (type) {
      case "message_start" -> start(payload.path("message"));
      case "content_block_start" -> blockStart(payload);
      case "content_block_delta" -> blockDelta(payload);
      case "message_delta" -> messageDelta(payload);
      case "message_stop" -> stopped = true;
      case "error" -> throw error(payload);
      default -> {
        // ping, content_block_stop and event types added later carry nothing to keep
      }
    }
  }

  private void start(JsonNode started) {
    if (!started.isObject()) {
      throw FailureClassifier.malformed();
    }
    message = ((ObjectNode) started).deepCopy();
    if (!message.path("usage").isObject()) {
      message.putObject("usage");
    }
  }

  private void blockStart(JsonNode payload) {
    JsonNode block = payload.path("content_block");
    if (message == null || !block.isObject()) {
      throw FailureClassifier.malformed();
    }
    ObjectNode node = ((ObjectNode) block).deepCopy();
    StringBuilder text = new StringBuilder(node.path("text").asText(""));
    blocks.put(payload.path("index").asInt(), new Block(node, text, new StringBuilder()));
  }

  private void blockDelta(JsonNode payload) {
    Block block = blocks.get(payload.path("index").asInt());
    if (block == null) {
      throw FailureClassifier.malformed();
    }
    JsonNode delta = payload.path("delta");
    switch (delta.path("type").asText()) {
      case "text_delta" -> {
        String text = delta.path("text").asText("");
        block.text().append(text);
        if (!text.isEmpty()) {
          textDeltas++;
          deltas.accept(new Delta(text, textDeltas));
        }
      }
      case "input_json_delta" -> {
        String piece = delta.path("partial_json").asText("");
        block.partialJson().append(piece);
        if (answerTool != null
            && !piece.isEmpty()
            && answerTool.equals(block.node().path("name").asText())) {
          textDeltas++;
          deltas.accept(new Delta(piece, textDeltas));
        }
      }
      default -> {
        // thinking, signature and citation deltas are not part of a chat.completion
      }
    }
  }

  private void messageDelta(JsonNode payload) {
    if (message == null) {
      throw FailureClassifier.malformed();
    }
    JsonNode delta = payload.path("delta");
    for (String field : new String[] {"stop_reason", "stop_sequence"}) {
      if (delta.has(field)) {
        message.set(field, delta.get(field));
      }
    }
    // Usage here is cumulative: output_tokens always, the input counts on newer API versions.
    if (payload.path("usage").isObject()) {
      ((ObjectNode) message.get("usage")).setAll((ObjectNode) payload.get("usage"));
    }
  }

  private ProviderException error(JsonNode payload) {
    return FailureClassifier.forStatus(statusOf(payload), payload.toString(), limits);
  }

  /** The HTTP status an Anthropic error body stands for, when it arrives without one. */
  static int statusOf(JsonNode errorBody) {
    return switch (errorBody.path("error").path("type").asText()) {
      case "overloaded_error" -> 529;
      case "rate_limit_error" -> 429;
      case "api_error" -> 500;
      case "timeout_error" -> 504;
      default -> 400;
    };
  }

  private JsonNode parse(String text) {
    try {
      return json.readTree(text);
    } catch (IOException e) {
      throw FailureClassifier.malformed();
    }
  }
}
