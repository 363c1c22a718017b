package io.llmq.simulator.call;

import io.llmq.simulator.answer.Answer;

/** The server-sent events of one streamed answer, each complete with its blank line. */
public interface StreamEvents {

  /** What precedes the first token (OpenAI's role chunk, Anthropic's message_start and so on). */
  String opening();

  /** One token. */
  String token(String piece);

  /** What follows the last token: finish reason, usage, end marker. */
  String closing(Answer answer);
}
