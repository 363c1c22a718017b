package io.llmq.api.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import io.llmq.api.problem.ProblemException;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads request bodies as JSON trees and refuses text that cannot be stored as it was sent: a NUL
 * character (PostgreSQL's text and jsonb cannot hold U+0000) or an unpaired UTF-16 surrogate (it
 * has no UTF-8 form, so it would be stored as a replacement character and the prompt would change
 * silently), and bodies in UTF-16 or UTF-32, which JSON exchanged between systems may not be (RFC
 * 8259 §8.1). Keys and values alike, anywhere in the body: a 400 naming the rule, instead of a 500
 * from the database or a quietly altered prompt.
 */
final class StorableText extends StdDeserializer<JsonNode> {

  @SuppressWarnings("unchecked")
  private static final JsonDeserializer<JsonNode> TREES =
      (JsonDeserializer<JsonNode>)
          (JsonDeserializer<?>) JsonNodeDeserializer.getDeserializer(JsonNode.class);

  StorableText() {
    super(JsonNode.class);
  }

  @Override
  public JsonNode deserialize(JsonParser parser, DeserializationContext context)
      throws IOException {
    JsonNode tree = TREES.deserialize(parser, context);
    check(tree);
    return tree;
  }

  @Override
  public JsonNode getNullValue(DeserializationContext context) throws JsonMappingException {
    return TREES.getNullValue(context);
  }

  private static void check(JsonNode node) {
    if (node.isTextual()) {
      checkText(node.textValue());
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        checkText(field.getKey());
        check(field.getValue());
      }
    } else if (node.isArray()) {
      node.forEach(StorableText::check);
    }
  }

  private static void checkText(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        throw ProblemException.invalid("Text in the body may not contain the NUL character.");
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw ProblemException.invalid(
            "Text in the body may not contain an unpaired UTF-16 surrogate.");
      }
    }
  }
}
