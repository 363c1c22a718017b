package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A finished call: the OpenAI {@code chat.completion} object (whatever the provider spoke) and the
 * usage the provider billed.
 *
 * @param promptTokens every prompt token, cached ones included
 * @param cachedPromptTokens prompt tokens read from the provider's prompt cache (billed lower)
 * @param cacheWriteTokens prompt tokens written to the provider's prompt cache (Anthropic)
 * @param completionTokens output tokens
 * @param limits what the response's headers said about rate limits
 */
public record Completion(
    ObjectNode result,
    int promptTokens,
    int cachedPromptTokens,
    int cacheWriteTokens,
    int completionTokens,
    RateLimitSnapshot limits) {

  public Completion(ObjectNode result, int promptTokens, int completionTokens) {
    this(result, promptTokens, 0, 0, completionTokens, RateLimitSnapshot.NONE);
  }

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
