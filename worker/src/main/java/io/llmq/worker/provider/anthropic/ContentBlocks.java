package io.llmq.worker.provider.anthropic;

import static io.llmq.worker.provider.anthropic.MessagesTranslator.unsupported;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI content parts as Anthropic content blocks: text (with its {@code cache_control}) and
 * images, which Anthropic takes as base64 data or by URL.
 */
final class ContentBlocks {

  private static final Pattern DATA_URL =
      Pattern.compile("data:([^;,]+);base64,(.*)", Pattern.DOTALL);

  private final ObjectMapper json;

  ContentBlocks(ObjectMapper json) {
    this.json = json;
  }

  /** A string stays a string; an array of OpenAI content parts becomes Anthropic blocks. */
  JsonNode content(JsonNode content) {
    if (content.isTextual()) {
      return content;
    }
    ArrayNode blocks = json.createArrayNode();
    if (content.isArray()) {
      for (JsonNode part : content) {
        blocks.add(block(part));
      }
    }
    return blocks;
  }

  /** Translated content as a block array, so that turns can be merged. */
  ArrayNode asBlocks(JsonNode content) {
    if (content.isArray()) {
      return ((ArrayNode) content).deepCopy();
    }
    ArrayNode blocks = json.createArrayNode();
    if (content.isTextual() && !content.asText().isEmpty()) {
      blocks.addObject().put("type", "text").put("text", content.asText());
    }
    return blocks;
  }

  private ObjectNode block(JsonNode part) {
    String type = part.path("type").asText();
    ObjectNode block =
        switch (type) {
          case "text" ->
              json.createObjectNode().put("type", "text").put("text", part.path("text").asText());
          case "image_url" -> image(part.path("image_url"));
          default -> throw unsupported("content parts of type " + type);
        };
    if (part.has("cache_control")) {
      block.set("cache_control", part.get("cache_control"));
    }
    return block;
  }

  private ObjectNode image(JsonNode imageUrl) {
    String url = imageUrl.isTextual() ? imageUrl.asText() : imageUrl.path("url").asText();
    ObjectNode block = json.createObjectNode().put("type", "image");
    ObjectNode source = block.putObject("source");
    Matcher data = DATA_URL.matcher(url);
    if (data.matches()) {
      source.put("type", "base64").put("media_type", data.group(1)).put("data", data.group(2));
    } else if (url.startsWith("https://") || url.startsWith("http://")) {
      source.put("type", "url").put("url", url);
    } else {
      throw unsupported("images that are neither base64 data URLs nor http(s) URLs");
    }
    return block;
  }
}
