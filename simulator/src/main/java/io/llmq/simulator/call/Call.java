package io.llmq.simulator.call;

import io.llmq.simulator.answer.Conversation;

/**
 * A provider call as read from its body.
 *
 * @param answerLimit the most tokens the answer may have ({@link Integer#MAX_VALUE} when the
 *     request sets no limit)
 * @param reservedTokens the output tokens charged at admission: the request's limit, or the API's
 *     default when it sets none
 * @param includeUsage OpenAI's {@code stream_options.include_usage}
 */
public record Call(
    Conversation conversation,
    int answerLimit,
    int reservedTokens,
    boolean stream,
    boolean includeUsage) {

  /** What admission takes from the token bucket: prompt tokens plus the reserved output. */
  public long charge() {
    return (long) conversation.promptTokens() + reservedTokens;
  }
}
