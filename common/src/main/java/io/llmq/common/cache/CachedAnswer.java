package io.llmq.common.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An answer as the cache stores it: the provider's {@code chat.completion} object (all {@code n}
 * choices, a streamed answer as it was assembled) and the usage the call that produced it was
 * billed. A job answered from it reports that usage, {@code cost_usd} 0, and what the usage would
 * cost now as {@code cost_saved_usd}.
 *
 * @param promptTokens every prompt token, cached ones included
 * @param cachedPromptTokens prompt tokens read from the provider's prompt cache
 * @param cacheWriteTokens prompt tokens written to the provider's prompt cache
 * @param completionTokens output tokens
 * @param servedBy the provider that produced it ({@code simulated} for the built-in simulator,
 *     whose answers saved nothing); {@code null} in entries written before it was recorded
 */
public record CachedAnswer(
    ObjectNode result,
    int promptTokens,
    int cachedPromptTokens,
    int cacheWriteTokens,
    int completionTokens,
    String servedBy) {

  /** Whether the built-in simulator produced the answer: it cost nothing, so it saves nothing. */
  public boolean simulated() {
    return "simulated".equals(servedBy);
  }

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
