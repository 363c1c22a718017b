package io.llmq.worker.provider;

/**
 * A piece of output as it streams from the provider.
 *
 * @param content the text added
 * @param completionTokens completion tokens so far, as far as the adapter can tell
 */
public record Delta(String content, int completionTokens) {}
