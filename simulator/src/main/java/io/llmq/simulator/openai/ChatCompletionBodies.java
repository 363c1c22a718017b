package io.llmq.simulator.openai;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.call.Call;
import io.llmq.simulator.call.PromptUsage;
import io.llmq.simulator.call.StreamEvents;
import java.time.Instant;
import java.util.UUID;

/** The {@code chat.completion} object and the {@code chat.completion.chunk} stream. */
final class ChatCompletionBodies {

  private ChatCompletionBodies() {}

  static ObjectNode completion(Call call, Answer answer, PromptUsage usage) {
    ObjectNode body = header(newId(), call, "chat.completion");
    ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", answer.text());
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason(answer));
    body.set("usage", usage(usage, answer));
    return body;
  }

  /**
   * The role chunk, one chunk per token, the finish chunk, with {@code include_usage} a usage chunk
   * with no choices, then {@code [DONE]}.
   */
  static final class Chunks implements StreamEvents {

    private final String id = newId();
    private final Call call;
    private final PromptUsage usage;

    Chunks(Call call, PromptUsage usage) {
      this.call = call;
      this.usage = usage;
    }

    @Override
    public String opening() {
      ObjectNode delta = JsonNodeFactory.instance.objectNode();
      delta.put("role", "assistant").put("content", "");
      return data(chunk(delta, null));
    }

    @Override
    public String token(String piece) {
      return data(chunk(JsonNodeFactory.instance.objectNode().put("content", piece), null));
    }

    @Override
    public String closing(Answer answer) {
      StringBuilder events = new StringBuilder();
      events.append(data(chunk(JsonNodeFactory.instance.objectNode(), finishReason(answer))));
      if (call.includeUsage()) {
        ObjectNode last = header(id, call, "chat.completion.chunk");
        last.putArray("choices");
        last.set("usage", usage(usage, answer));
        events.append(data(last));
      }
      return events.append("data: [DONE]\n\n").toString();
    }

    private ObjectNode chunk(ObjectNode delta, String finishReason) {
      ObjectNode chunk = header(id, call, "chat.completion.chunk");
      ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
      choice.set("delta", delta);
      choice.putNull("logprobs");
      choice.put("finish_reason", finishReason);
      if (call.includeUsage()) {
        chunk.putNull("usage");
      }
      return chunk;
    }

    private static String data(ObjectNode chunk) {
      return "data: " + chunk + "\n\n";
    }
  }

  private static ObjectNode header(String id, Call call, String object) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("id", id)
        .put("object", object)
        .put("created", Instant.now().getEpochSecond())
        .put("model", call.conversation().model());
  }

  private static ObjectNode usage(PromptUsage usage, Answer answer) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("prompt_tokens", usage.total())
        .put("completion_tokens", answer.size())
        .put("total_tokens", usage.total() + answer.size());
  }

  private static String finishReason(Answer answer) {
    return answer.cut() ? "length" : "stop";
  }

  private static String newId() {
    return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
  }
}
