package io.llmq.simulator.answer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A call that asks for JSON: OpenAI's {@code response_format} ({@code json_object}, or {@code
 * json_schema} with its {@code schema}), or an Anthropic tool call forced by {@code tool_choice}
 * (the tool's {@code input_schema}). The answer is a value built from the schema ({@link
 * SchemaExample}; {@code {"answer": ...}} without one), unless the prompt says otherwise: {@code
 * [[sim output=invalid]]} breaks every answer, {@code [[sim output=invalid_once]]} only until the
 * conversation holds an assistant turn (as the re-prompt of a repair does). A broken answer lacks
 * the first property the schema requires; without one it is plain text (a forced tool call's input
 * stays an object: {@code {}}).
 *
 * @param schema the schema; {@code null} for none
 * @param tool the forced tool's name (Anthropic); {@code null} for a response format
 */
public record Structured(JsonNode schema, String tool) {

  private static final Pattern OUTPUT = Pattern.compile("\\[\\[sim\\s+output=([a-z_]+)\\s*]]");

  /** The answer's JSON text for {@code conversation}. */
  public String text(Conversation conversation) {
    String words = Answer.to(conversation, 3).text();
    String mode = null;
    boolean repairing = false;
    for (Turn turn : conversation.turns()) {
      repairing |= "assistant".equals(turn.role());
      for (Block block : turn.blocks()) {
        Matcher matcher = OUTPUT.matcher(block.text());
        while (matcher.find()) {
          mode = matcher.group(1);
        }
      }
    }
    boolean invalid = "invalid".equals(mode) || ("invalid_once".equals(mode) && !repairing);
    if (!invalid) {
      return SchemaExample.of(schema, words).toString();
    }
    JsonNode broken = SchemaExample.missingRequired(schema, words);
    if (broken != null) {
      return broken.toString();
    }
    return tool != null ? "{}" : words;
  }

  /** The answer, cut after {@code limit} tokens like any. */
  public Answer answer(Conversation conversation, int limit) {
    return Answer.json(text(conversation), limit);
  }
}
