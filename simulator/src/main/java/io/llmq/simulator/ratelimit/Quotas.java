package io.llmq.simulator.ratelimit;

/** An API key's two buckets, for the rate-limit headers of a response. */
public record Quotas(Quota requests, Quota tokens) {}
