package io.llmq.simulator.answer;

/**
 * The prompt up to and including a block marked {@code cache_control}: a hash of its text that
 * identifies it across calls, and its size in tokens.
 */
public record CachePrefix(String hash, int tokens) {}
