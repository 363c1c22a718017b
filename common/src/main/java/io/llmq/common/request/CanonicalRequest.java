package io.llmq.common.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The canonical form of a chat request: everything that can change the answer and nothing else,
 * spelled one way, so that two requests asking the same thing share one cache key. It is the
 * request as the tenant submitted it (the model under the name the tenant used: two aliases of one
 * upstream model are two keys), then:
 *
 * <ul>
 *   <li><b>dropped</b>, since they never change the answer: {@code stream}, {@code stream_options},
 *       {@code user}, {@code metadata}, {@code store}, top-level fields whose value is {@code null}
 *       (OpenAI reads them as absent), and Anthropic {@code cache_control} markers on messages,
 *       content parts and tools (they change the price, not the output);
 *   <li><b>defaults made explicit</b>, so that leaving a parameter out and sending its default
 *       agree:
 *       <table>
 *         <caption>defaults</caption>
 *         <tr><th>field</th><th>when absent or null</th></tr>
 *         <tr><td>{@code temperature}</td><td>{@code 1}</td></tr>
 *         <tr><td>{@code top_p}</td><td>{@code 1}</td></tr>
 *         <tr><td>{@code n}</td><td>{@code 1}</td></tr>
 *         <tr><td>{@code presence_penalty}</td><td>{@code 0}</td></tr>
 *         <tr><td>{@code frequency_penalty}</td><td>{@code 0}</td></tr>
 *         <tr><td>{@code response_format}</td><td>{@code {"type":"text"}}</td></tr>
 *         <tr><td>{@code stop}</td><td>{@code []}; a single string becomes a one-element
 *             list</td></tr>
 *         <tr><td>{@code tools}</td><td>{@code []}</td></tr>
 *         <tr><td>{@code tool_choice}</td><td>{@code "auto"} when there are tools, {@code "none"}
 *             when there are none</td></tr>
 *       </table>
 *   <li><b>merged</b>: {@code max_tokens} is the older name of {@code max_completion_tokens}; the
 *       form keeps {@code max_completion_tokens}, taken from {@code max_completion_tokens} when
 *       both are sent (as the providers do). An absent limit stays absent: what it means depends on
 *       the provider (OpenAI: the model's own limit; Anthropic: llmq's {@code default-max-tokens}),
 *       so it equals no number;
 *   <li><b>message content</b> made of one plain text part ({@code [{"type":"text","text":"…"}]})
 *       becomes that text, as providers read it; {@code null} fields of a message are dropped;
 *   <li>then written by {@link CanonicalJson}: keys sorted, numbers in their shortest exact form
 *       ({@code 1}, {@code 1.0} and {@code 1e0} agree), no white space.
 * </ul>
 *
 * <p>Kept as given: {@code model}, the order and text of messages, {@code seed} (absent means a
 * random one), tools, tool choice, response formats and any field llmq does not know, which might
 * change the answer. Sampling is not deterministic above temperature 0, and an identical request
 * gets the first answer again: that is what an exact-match cache means.
 *
 * <p>The form is versioned ({@link #VERSION}): a change to these rules changes the version, and
 * cache keys built on the old form stop matching instead of matching wrongly.
 */
public final class CanonicalRequest {

  /** Version of these rules; part of every key built on the form. */
  public static final int VERSION = 1;

  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
  private static final Set<String> IRRELEVANT =
      Set.of("stream", "stream_options", "user", "metadata", "store");
  private static final Map<String, Integer> NUMBER_DEFAULTS =
      Map.of("temperature", 1, "top_p", 1, "n", 1, "presence_penalty", 0, "frequency_penalty", 0);
  private static final String CACHE_CONTROL = "cache_control";

  private final String text;

  private CanonicalRequest(String text) {
    this.text = text;
  }

  /** The canonical form of a chat request body (an OpenAI Chat Completions request). */
  public static CanonicalRequest of(JsonNode request) {
    if (request == null || !request.isObject()) {
      throw new IllegalArgumentException("a chat request is a JSON object");
    }
    return new CanonicalRequest(CanonicalJson.write(canonical(request)));
  }

  /** The canonical text: the same for every spelling of one request. */
  public String text() {
    return text;
  }

  /** Hex SHA-256 of {@link #text()}. */
  public String sha256() {
    return CanonicalJson.sha256(text);
  }

  @Override
  public String toString() {
    return "CanonicalRequest(sha256=" + sha256() + ")";
  }

  private static ObjectNode canonical(JsonNode request) {
    ObjectNode form = NODES.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = request.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!IRRELEVANT.contains(field.getKey()) && !field.getValue().isNull()) {
        form.set(field.getKey(), field.getValue().deepCopy());
      }
    }
    NUMBER_DEFAULTS.forEach((name, value) -> {
      if (!form.has(name)) {
        form.put(name, value);
      }
    });
    if (!form.has("response_format")) {
      form.putObject("response_format").put("type", "text");
    }
    form.set("stop", stop(form.get("stop")));
    tools(form);
    maxTokens(form);
    if (form.get("messages") instanceof ArrayNode messages) {
      form.set("messages", messages(messages));
    }
    return form;
  }

  private static ArrayNode stop(JsonNode stop) {
    ArrayNode list = NODES.arrayNode();
    if (stop == null) {
      return list;
    }
    if (stop.isArray()) {
      stop.forEach(list::add);
    } else {
      list.add(stop);
    }
    return list;
  }

  private static void tools(ObjectNode form) {
    JsonNode given = form.get("tools");
    if (given == null) {
      form.set("tools", NODES.arrayNode());
    } else if (given.isArray()) {
      ArrayNode tools = NODES.arrayNode();
      given.forEach(tool -> tools.add(withoutCacheControl(tool)));
      form.set("tools", tools);
    }
    if (!form.has("tool_choice")) {
      boolean hasTools = form.get("tools").isArray() && !form.get("tools").isEmpty();
      form.put("tool_choice", hasTools ? "auto" : "none");
    }
  }

  private static void maxTokens(ObjectNode form) {
    JsonNode legacy = form.remove("max_tokens");
    if (legacy != null && !form.has("max_completion_tokens")) {
      form.set("max_completion_tokens", legacy);
    }
  }

  private static ArrayNode messages(ArrayNode messages) {
    ArrayNode canonical = NODES.arrayNode();
    for (JsonNode message : messages) {
      canonical.add(message.isObject() ? message((ObjectNode) message) : message);
    }
    return canonical;
  }

  private static JsonNode message(ObjectNode message) {
    ObjectNode canonical = NODES.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = message.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!field.getValue().isNull() && !CACHE_CONTROL.equals(field.getKey())) {
        canonical.set(field.getKey(), field.getValue());
      }
    }
    if (canonical.get("content") instanceof ArrayNode parts) {
      ArrayNode cleaned = NODES.arrayNode();
      parts.forEach(part -> cleaned.add(withoutCacheControl(part)));
      canonical.set("content", plainText(cleaned));
    }
    return canonical;
  }

  /** One part that is plain text, and nothing else, is that text. */
  private static JsonNode plainText(ArrayNode parts) {
    if (parts.size() == 1
        && parts.get(0).isObject()
        && parts.get(0).size() == 2
        && "text".equals(parts.get(0).path("type").textValue())
        && parts.get(0).path("text").isTextual()) {
      return parts.get(0).get("text");
    }
    return parts;
  }

  private static JsonNode withoutCacheControl(JsonNode node) {
    if (node.isObject() && node.has(CACHE_CONTROL)) {
      ObjectNode copy = ((ObjectNode) node).deepCopy();
      copy.remove(CACHE_CONTROL);
      return copy;
    }
    return node;
  }
}
