package io.llmq.simulator.answer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** One piece of a message's content: its text and whether it carries {@code cache_control}. */
public record Block(String text, boolean cacheControl) {

  /**
   * The blocks of a {@code content} (or Anthropic {@code system}) value: a string is one block, an
   * array gives one block per element (its {@code text}, empty for images and the like), anything
   * else none.
   */
  public static List<Block> listOf(JsonNode content) {
    if (content == null) {
      return List.of();
    }
    if (content.isTextual()) {
      return List.of(new Block(content.textValue(), false));
    }
    List<Block> blocks = new ArrayList<>();
    if (content.isArray()) {
      for (JsonNode part : content) {
        blocks.add(new Block(part.path("text").asText(""), part.has("cache_control")));
      }
    }
    return blocks;
  }
}
