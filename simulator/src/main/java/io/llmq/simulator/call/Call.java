package io.llmq.simulator.call;

import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.answer.Conversation;
import io.llmq.simulator.answer.Structured;
import io.llmq.simulator.settings.LimiterCount;

/**
 * A provider call as read from its body.
 *
 * @param answerLimit the most tokens the answer may have ({@link Integer#MAX_VALUE} when the
 *     request sets no limit)
 * @param reservedTokens the output tokens charged at admission for each choice: the request's
 *     limit, or the API's default when it sets none
 * @param choices OpenAI's {@code n}: how many choices the answer has (1 for Anthropic)
 * @param includeUsage OpenAI's {@code stream_options.include_usage}
 * @param structured what JSON the call asks for; {@code null} for plain text
 */
public record Call(
    Conversation conversation,
    int answerLimit,
    int reservedTokens,
    int choices,
    boolean stream,
    boolean includeUsage,
    Structured structured) {

  public Call(
      Conversation conversation,
      int answerLimit,
      int reservedTokens,
      int choices,
      boolean stream,
      boolean includeUsage) {
    this(conversation, answerLimit, reservedTokens, choices, stream, includeUsage, null);
  }

  /** The answer to this call. */
  public Answer answer() {
    return structured == null
        ? Answer.to(conversation, answerLimit)
        : structured.answer(conversation, answerLimit);
  }

  /**
   * What admission takes from the token bucket: the prompt as {@code count} says plus the reserved
   * output of every choice. The prompt is counted once, whatever {@code n} is.
   */
  public long charge(LimiterCount count) {
    long prompt =
        count == LimiterCount.CHARACTERS
            ? conversation.characterTokens()
            : conversation.promptTokens();
    return prompt + reservedOutput();
  }

  /** The output reserved at admission, all choices together. */
  public long reservedOutput() {
    return (long) reservedTokens * choices;
  }
}
