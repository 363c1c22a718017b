package io.llmq.simulator.answer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * A deterministic JSON value built from a JSON schema, for structured answers (the same rules as
 * llmq's built-in simulator, which this module does not depend on): {@code const} or the first
 * {@code enum} value when given, else a value of the (first) {@code type}: objects with every
 * listed property, arrays of {@code minItems} (at least one) elements, strings long enough for
 * {@code minLength} (or shaped by a common {@code format}), numbers at {@code minimum}. {@code
 * $ref} into the schema ({@code #/...}), {@code anyOf}, {@code oneOf} (the first branch) and {@code
 * allOf} (merged objects) are followed. It satisfies the simple schemas that applications send;
 * {@code pattern} and the like are not attempted.
 */
public final class SchemaExample {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_DEPTH = 12;

  private SchemaExample() {}

  /** A value for {@code schema}; {@code {"answer": "..."}} when there is none. */
  public static JsonNode of(JsonNode schema, String text) {
    if (schema == null || !schema.isObject()) {
      return NODES.objectNode().put("answer", text);
    }
    return value(schema, schema, text, 0);
  }

  /**
   * The same value with the first property the schema's top level requires taken out: an answer
   * that breaks the schema; {@code null} when the schema requires none.
   */
  public static JsonNode missingRequired(JsonNode schema, String text) {
    if (schema == null || !schema.isObject()) {
      return null;
    }
    JsonNode value = of(schema, text);
    JsonNode required = resolved(schema, schema).path("required");
    if (!value.isObject() || !required.isArray() || required.isEmpty()) {
      return null;
    }
    ((ObjectNode) value).remove(required.get(0).asText());
    return value;
  }

  private static JsonNode value(JsonNode root, JsonNode schema, String text, int depth) {
    JsonNode node = resolved(root, schema);
    if (depth > MAX_DEPTH || !node.isObject()) {
      return NODES.nullNode();
    }
    if (node.has("const")) {
      return node.get("const");
    }
    if (node.path("enum").isArray() && !node.get("enum").isEmpty()) {
      return node.get("enum").get(0);
    }
    for (String branch : new String[] {"anyOf", "oneOf"}) {
      if (node.path(branch).isArray() && !node.get(branch).isEmpty()) {
        return value(root, node.get(branch).get(0), text, depth + 1);
      }
    }
    if (node.path("allOf").isArray() && !node.get("allOf").isEmpty()) {
      ObjectNode merged = NODES.objectNode();
      JsonNode last = NODES.nullNode();
      for (JsonNode part : node.get("allOf")) {
        last = value(root, part, text, depth + 1);
        if (last.isObject()) {
          merged.setAll((ObjectNode) last);
        }
      }
      JsonNode own = typed(root, node, text, depth);
      if (own.isObject()) {
        merged.setAll((ObjectNode) own);
      }
      return merged.isEmpty() ? last : merged;
    }
    return typed(root, node, text, depth);
  }

  private static JsonNode typed(JsonNode root, JsonNode node, String text, int depth) {
    return switch (typeOf(node)) {
      case "object" -> object(root, node, text, depth);
      case "array" -> array(root, node, text, depth);
      case "string" -> NODES.textNode(string(node, text));
      case "integer" -> NODES.numberNode((long) Math.ceil(lowest(node, 1)));
      case "number" -> NODES.numberNode(lowest(node, 0.5));
      case "boolean" -> NODES.booleanNode(true);
      case "null" -> NODES.nullNode();
      default -> NODES.textNode(text);
    };
  }

  private static String typeOf(JsonNode node) {
    JsonNode type = node.get("type");
    if (type != null && type.isTextual()) {
      return type.textValue();
    }
    if (type != null && type.isArray()) {
      for (JsonNode each : type) {
        if (!"null".equals(each.asText())) {
          return each.asText();
        }
      }
      return "null";
    }
    if (node.has("properties") || node.has("required")) {
      return "object";
    }
    if (node.has("items")) {
      return "array";
    }
    return "string";
  }

  private static ObjectNode object(JsonNode root, JsonNode node, String text, int depth) {
    ObjectNode object = NODES.objectNode();
    JsonNode properties = node.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> property = it.next();
      object.set(property.getKey(), value(root, property.getValue(), text, depth + 1));
    }
    for (JsonNode required : node.path("required")) {
      if (!object.has(required.asText())) {
        object.put(required.asText(), text);
      }
    }
    return object;
  }

  private static ArrayNode array(JsonNode root, JsonNode node, String text, int depth) {
    ArrayNode array = NODES.arrayNode();
    int count = Math.max(1, node.path("minItems").asInt(1));
    if (node.has("maxItems")) {
      count = Math.min(count, node.get("maxItems").asInt());
    }
    JsonNode items = node.path("items");
    for (int i = 0; i < Math.min(count, 16); i++) {
      array.add(items.isObject() ? value(root, items, text, depth + 1) : NODES.textNode(text));
    }
    return array;
  }

  private static String string(JsonNode node, String text) {
    String value =
        switch (node.path("format").asText("")) {
          case "date-time" -> "2026-01-01T00:00:00Z";
          case "date" -> "2026-01-01";
          case "time" -> "00:00:00Z";
          case "email" -> "someone@example.com";
          case "uri", "url" -> "https://example.com/";
          case "uuid" -> "00000000-0000-4000-8000-000000000000";
          default -> text;
        };
    int min = node.path("minLength").asInt(0);
    StringBuilder padded = new StringBuilder(value);
    while (padded.length() < min) {
      padded.append(' ').append(text.isEmpty() ? "x" : text);
    }
    int max = node.path("maxLength").asInt(Integer.MAX_VALUE);
    return padded.length() > max ? padded.substring(0, max) : padded.toString();
  }

  private static double lowest(JsonNode node, double step) {
    if (node.path("minimum").isNumber()) {
      return node.get("minimum").asDouble();
    }
    if (node.path("exclusiveMinimum").isNumber()) {
      return node.get("exclusiveMinimum").asDouble() + step;
    }
    if (node.path("maximum").isNumber()) {
      return Math.min(0, node.get("maximum").asDouble());
    }
    return 0;
  }

  /** Follows a {@code $ref} into the schema ({@code #}, {@code #/$defs/...}, ...). */
  private static JsonNode resolved(JsonNode root, JsonNode node) {
    JsonNode current = node;
    for (int hops = 0; hops < MAX_DEPTH && current.path("$ref").isTextual(); hops++) {
      String ref = current.get("$ref").textValue();
      if (!ref.startsWith("#")) {
        return current;
      }
      JsonNode target = ref.length() == 1 ? root : root.at(ref.substring(1));
      if (target.isMissingNode()) {
        return current;
      }
      current = target;
    }
    return current;
  }
}
