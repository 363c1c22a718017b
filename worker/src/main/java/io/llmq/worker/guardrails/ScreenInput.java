package io.llmq.worker.guardrails;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The text of a chat request that the screens read: every message's text for moderation, and for
 * the injection screen only the messages the application does not write itself (every role but
 * {@code system} and {@code developer}: user turns, tool results, earlier answers). Image and audio
 * parts are not read.
 *
 * @param all each message's text, in order
 * @param untrusted the text of the messages that are not the application's own instructions
 */
public record ScreenInput(List<String> all, List<String> untrusted) {

  private static final Set<String> TRUSTED_ROLES = Set.of("system", "developer");

  public ScreenInput {
    all = List.copyOf(all);
    untrusted = List.copyOf(untrusted);
  }

  /** The texts of a Chat Completions request's {@code messages}. */
  public static ScreenInput of(JsonNode request) {
    List<String> all = new ArrayList<>();
    List<String> untrusted = new ArrayList<>();
    for (JsonNode message : request.path("messages")) {
      String text = text(message.path("content"));
      if (text.isEmpty()) {
        continue;
      }
      all.add(text);
      if (!TRUSTED_ROLES.contains(message.path("role").asText(""))) {
        untrusted.add(text);
      }
    }
    return new ScreenInput(all, untrusted);
  }

  /** A content string, or the text parts of a content array joined by new lines. */
  private static String text(JsonNode content) {
    if (content.isTextual()) {
      return content.textValue();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if (part.isTextual()) {
        append(text, part.textValue());
      } else if (part.path("text").isTextual()) {
        append(text, part.path("text").textValue());
      }
    }
    return text.toString();
  }

  private static void append(StringBuilder text, String part) {
    if (!text.isEmpty()) {
      text.append('\n');
    }
    text.append(part);
  }
}
