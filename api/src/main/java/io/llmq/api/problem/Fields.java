package io.llmq.api.problem;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;

/**
 * Reads fields of a JSON body with clear 400s: the field's path in every message, never a parser's
 * own words. Absent and {@code null} both read as "not given" unless a method says otherwise.
 */
public final class Fields {

  private Fields() {}

  /** The body as an object, or 400. */
  public static JsonNode object(JsonNode node, String path) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      throw ProblemException.invalid(
          path.isEmpty() ? "A JSON object body is required." : "'" + path + "' is required.");
    }
    if (!node.isObject()) {
      throw ProblemException.invalid(
          path.isEmpty() ? "The body must be a JSON object." : "'" + path + "' must be an object.");
    }
    return node;
  }

  /** 400 naming the first field of {@code node} not in {@code allowed}. */
  public static void onlyKnown(JsonNode node, String path, Set<String> allowed) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw ProblemException.invalid(
            "Unknown field '"
                + join(path, truncate(name))
                + "'. Allowed: "
                + sorted(allowed)
                + ".");
      }
    }
  }

  public static boolean given(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && !value.isNull();
  }

  public static String text(
      JsonNode node, String path, String field, int maxLength, boolean required) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        throw ProblemException.invalid("'" + join(path, field) + "' is required.");
      }
      return null;
    }
    if (!value.isTextual()) {
      throw ProblemException.invalid("'" + join(path, field) + "' must be a string.");
    }
    String text = value.textValue();
    if (required && text.isBlank()) {
      throw ProblemException.invalid("'" + join(path, field) + "' must not be empty.");
    }
    if (text.length() > maxLength) {
      throw ProblemException.invalid(
          "'" + join(path, field) + "' is longer than " + maxLength + " characters.");
    }
    return text;
  }

  /** An integer within bounds, or {@code null} when not given. */
  public static Long integer(JsonNode node, String path, String field, long min, long max) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber()) {
      throw ProblemException.invalid("'" + join(path, field) + "' must be an integer.");
    }
    // An integer too large for a long is out of bounds too, not of another type.
    if (!value.canConvertToLong() || value.longValue() < min || value.longValue() > max) {
      throw ProblemException.invalid(
          "'" + join(path, field) + "' must be between " + min + " and " + max + ".");
    }
    return value.longValue();
  }

  /** A number within bounds, or {@code null} when not given. */
  public static BigDecimal number(
      JsonNode node, String path, String field, BigDecimal min, BigDecimal max) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isNumber()) {
      throw ProblemException.invalid("'" + join(path, field) + "' must be a number.");
    }
    BigDecimal number = value.decimalValue();
    if (number.compareTo(min) < 0 || number.compareTo(max) > 0) {
      throw ProblemException.invalid(
          "'"
              + join(path, field)
              + "' must be between "
              + min.toPlainString()
              + " and "
              + max.toPlainString()
              + ".");
    }
    return number;
  }

  public static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  private static String truncate(String name) {
    return name.length() > 64 ? name.substring(0, 64) + "…" : name;
  }

  private static String sorted(Set<String> names) {
    return String.join(", ", new java.util.TreeSet<>(names));
  }
}
