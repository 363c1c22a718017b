package io.llmq.simulator.moderation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.simulator.call.InvalidRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The simulator's moderation verdicts: deterministic, and steered by the input. A marker {@code
 * sim-flag:<category>} scores that category 0.9, {@code sim-flag:<category>=<score>} scores it as
 * given; a category scoring 0.5 or more is flagged, and so is the result. Every other category
 * scores a small number drawn from the text's hash, so equal input always gets an equal answer. A
 * marker {@code sim-moderation:<fault>} ({@code 500}, {@code 503}, {@code 429}, {@code hang},
 * {@code malformed}) makes the call fail that way: an outage on demand.
 */
public final class ModerationJudge {

  /** OpenAI's moderation categories ({@code omni-moderation-latest}). */
  public static final List<String> CATEGORIES =
      List.of(
          "harassment",
          "harassment/threatening",
          "hate",
          "hate/threatening",
          "illicit",
          "illicit/violent",
          "self-harm",
          "self-harm/instructions",
          "self-harm/intent",
          "sexual",
          "sexual/minors",
          "violence",
          "violence/graphic");

  static final double FLAG_SCORE = 0.5;

  private static final Pattern FLAG =
      Pattern.compile("sim-flag:([a-z/-]+)(?:=([01](?:\\.\\d+)?))?", Pattern.CASE_INSENSITIVE);
  private static final Pattern FAULT =
      Pattern.compile("sim-moderation:(500|503|429|hang|malformed)", Pattern.CASE_INSENSITIVE);

  private ModerationJudge() {}

  /** The fault an input asks for ({@code 500}, {@code hang}, …), or null. */
  public static String faultAskedBy(List<String> texts) {
    for (String text : texts) {
      Matcher fault = FAULT.matcher(text);
      if (fault.find()) {
        return fault.group(1).toLowerCase(Locale.ROOT);
      }
    }
    return null;
  }

  /**
   * The texts a moderation body's {@code input} holds: a string, an array of strings (one result
   * each), or an array of content parts (one result, from the text parts).
   */
  public static List<String> inputs(JsonNode body) {
    JsonNode input = body.get("input");
    InvalidRequest.unless(
        input != null && (input.isTextual() || (input.isArray() && !input.isEmpty())),
        "Missing required parameter: 'input' (a string or a non-empty array).");
    List<String> texts = new ArrayList<>();
    if (input.isTextual()) {
      texts.add(input.textValue());
      return texts;
    }
    if (input.get(0).isTextual()) {
      for (JsonNode text : input) {
        InvalidRequest.unless(text.isTextual(), "Invalid 'input': mixed strings and parts.");
        texts.add(text.textValue());
      }
      return texts;
    }
    StringBuilder parts = new StringBuilder();
    for (JsonNode part : input) {
      InvalidRequest.unless(part.isObject(), "Invalid 'input': each part must be an object.");
      if ("text".equals(part.path("type").asText())) {
        parts.append(part.path("text").asText()).append('\n');
      }
    }
    texts.add(parts.toString());
    return texts;
  }

  /** One result of the moderation answer, for one text. */
  public static ObjectNode result(String text) {
    Map<String, Double> steered = new HashMap<>();
    Matcher flag = FLAG.matcher(text);
    while (flag.find()) {
      String category = flag.group(1).toLowerCase(Locale.ROOT);
      if (CATEGORIES.contains(category)) {
        steered.put(category, flag.group(2) == null ? 0.9 : Double.parseDouble(flag.group(2)));
      }
    }
    int hash = java.util.Arrays.hashCode(text.getBytes(StandardCharsets.UTF_8));
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ObjectNode categories = JsonNodeFactory.instance.objectNode();
    ObjectNode scores = JsonNodeFactory.instance.objectNode();
    ObjectNode types = JsonNodeFactory.instance.objectNode();
    boolean flagged = false;
    for (int i = 0; i < CATEGORIES.size(); i++) {
      String category = CATEGORIES.get(i);
      double background = (Math.floorMod(hash * 31 + i * 7919, 1000) + 1) / 100_000.0;
      double score = steered.getOrDefault(category, background);
      boolean hit = score >= FLAG_SCORE;
      flagged |= hit;
      categories.put(category, hit);
      scores.put(category, score);
      types.putArray(category).add("text");
    }
    result.put("flagged", flagged);
    result.set("categories", categories);
    result.set("category_scores", scores);
    result.set("category_applied_input_types", types);
    return result;
  }
}
