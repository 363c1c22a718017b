package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A finished call: the OpenAI {@code chat.completion} object and the usage the provider billed. */
public record Completion(ObjectNode result, int promptTokens, int completionTokens) {

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
