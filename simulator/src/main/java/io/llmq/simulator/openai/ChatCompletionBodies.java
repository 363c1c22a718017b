package io.llmq.simulator.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.call.Call;
import io.llmq.simulator.call.PromptUsage;
import io.llmq.simulator.call.StreamEvents;
import java.time.Instant;
import java.util.UUID;

/**
 * The {@code chat.completion} object and the {@code chat.completion.chunk} stream. A call with
 * {@code n} choices gets {@code n} of them, each with the same text (the answer is a function of
 * the conversation), and is billed for all of them.
 */
final class ChatCompletionBodies {

  private ChatCompletionBodies() {}

  static ObjectNode completion(Call call, Answer answer, PromptUsage usage) {
    ObjectNode body = header(newId(), call, "chat.completion");
    ArrayNode choices = body.putArray("choices");
    for (int index = 0; index < call.choices(); index++) {
      ObjectNode choice = choices.addObject().put("index", index);
      choice.putObject("message").put("role", "assistant").put("content", answer.text());
      choice.putNull("logprobs");
      choice.put("finish_reason", finishReason(answer));
    }
    body.set("usage", usage(usage, answer, call));
    return body;
  }

  /**
   * The role chunk, one chunk per token, the finish chunk (each once per choice, with its {@code
   * index}), with {@code include_usage} a usage chunk with no choices, then {@code [DONE]}.
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
      StringBuilder events = new StringBuilder();
      for (int index = 0; index < call.choices(); index++) {
        ObjectNode delta = JsonNodeFactory.instance.objectNode();
        delta.put("role", "assistant").put("content", "");
        events.append(data(chunk(index, delta, null)));
      }
      return events.toString();
    }

    @Override
    public String token(String piece) {
      StringBuilder events = new StringBuilder();
      for (int index = 0; index < call.choices(); index++) {
        ObjectNode delta = JsonNodeFactory.instance.objectNode().put("content", piece);
        events.append(data(chunk(index, delta, null)));
      }
      return events.toString();
    }

    @Override
    public String closing(Answer answer) {
      StringBuilder events = new StringBuilder();
      for (int index = 0; index < call.choices(); index++) {
        ObjectNode delta = JsonNodeFactory.instance.objectNode();
        events.append(data(chunk(index, delta, finishReason(answer))));
      }
      if (call.includeUsage()) {
        ObjectNode last = header(id, call, "chat.completion.chunk");
        last.putArray("choices");
        last.set("usage", usage(usage, answer, call));
        events.append(data(last));
      }
      return events.append("data: [DONE]\n\n").toString();
    }

    private ObjectNode chunk(int index, ObjectNode delta, String finishReason) {
      ObjectNode chunk = header(id, call, "chat.completion.chunk");
      ObjectNode choice = chunk.putArray("choices").addObject().put("index", index);
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

  private static ObjectNode usage(PromptUsage usage, Answer answer, Call call) {
    long completion = (long) answer.size() * call.choices();
    return JsonNodeFactory.instance
        .objectNode()
        .put("prompt_tokens", usage.total())
        .put("completion_tokens", completion)
        .put("total_tokens", usage.total() + completion);
  }

  private static String finishReason(Answer answer) {
    return answer.cut() ? "length" : "stop";
  }

  private static String newId() {
    return "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
  }
}
