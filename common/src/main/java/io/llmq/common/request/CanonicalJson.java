package io.llmq.common.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.TreeMap;

/**
 * One spelling of a JSON value: object keys sorted, numbers in their shortest exact form (so {@code
 * 1}, {@code 1.0} and {@code 1e0} agree), no insignificant white space. Two documents that mean the
 * same thing have the same canonical text, and so the same {@link #sha256}.
 */
public final class CanonicalJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  private CanonicalJson() {}

  /** The canonical text of {@code value}. */
  public static String write(JsonNode value) {
    try {
      return MAPPER.writeValueAsString(normalize(value));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a JsonNode always serializes", e);
    }
  }

  /** Hex SHA-256 of the canonical text of {@code value}. */
  public static String sha256(JsonNode value) {
    return sha256(write(value));
  }

  /** Hex SHA-256 of a UTF-8 string. */
  public static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static JsonNode normalize(JsonNode value) {
    if (value.isObject()) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      Iterator<String> names = value.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        sorted.put(name, normalize(value.get(name)));
      }
      ObjectNode object = NODES.objectNode();
      sorted.forEach(object::set);
      return object;
    }
    if (value.isArray()) {
      ArrayNode array = NODES.arrayNode();
      value.forEach(element -> array.add(normalize(element)));
      return array;
    }
    if (value.isNumber()) {
      BigDecimal number = value.decimalValue().stripTrailingZeros();
      return number.scale() <= 0
          ? NODES.numberNode(number.toBigIntegerExact())
          : NODES.numberNode(number);
    }
    return value;
  }
}
