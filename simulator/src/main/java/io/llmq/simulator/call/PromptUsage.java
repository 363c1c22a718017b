package io.llmq.simulator.call;

/**
 * How a call's prompt tokens are billed: fresh input, written to the prompt cache, read from it.
 * Only Anthropic calls ever have the last two.
 */
public record PromptUsage(int input, int cacheCreation, int cacheRead) {

  public static PromptUsage uncached(int tokens) {
    return new PromptUsage(tokens, 0, 0);
  }

  public int total() {
    return input + cacheCreation + cacheRead;
  }
}
