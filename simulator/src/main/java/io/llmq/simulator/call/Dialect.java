package io.llmq.simulator.call;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.ratelimit.Quotas;
import io.llmq.simulator.ratelimit.Refusal;
import io.vertx.core.MultiMap;

/**
 * One provider API as the simulator speaks it: how its requests read and what its answers, errors
 * and rate-limit headers look like. {@link CallHandler} does the rest, alike for all.
 */
public interface Dialect {

  /**
   * Reads a request body (a JSON object).
   *
   * @throws InvalidRequest when the provider would answer 400
   */
  Call read(JsonNode body);

  /** How the prompt is billed; a dialect with prompt caching records the call's prefixes. */
  PromptUsage promptUsage(String apiKey, Call call);

  void putQuotaHeaders(MultiMap headers, Quotas quotas);

  ErrorReply invalidRequest(String message);

  ErrorReply contextLengthExceeded();

  ErrorReply rateLimited(Refusal refusal);

  /** A server-side failure with the given status (500, 503 or 529). */
  ErrorReply serverError(int status);

  /** The status of the randomly injected error: what this provider sends when it is down. */
  int errorStatus();

  /** The whole non-streaming answer body. */
  String completion(Call call, Answer answer, PromptUsage usage);

  StreamEvents streamEvents(Call call, PromptUsage usage);
}
