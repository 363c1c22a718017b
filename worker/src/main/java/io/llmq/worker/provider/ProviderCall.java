package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Consumer;

/**
 * One call to a provider.
 *
 * @param request the OpenAI Chat Completions request, its {@code model} already the name the
 *     provider knows; adapters translate it for providers that speak another format
 * @param deltas receives output as it streams, in order, on the call's thread; must not block
 * @param answered receives what the rate-limit headers of a successful response said, as soon as
 *     they arrive (before a stream's body), on the call's thread; must not block
 */
public record ProviderCall(
    JsonNode request, Consumer<Delta> deltas, Consumer<RateLimitSnapshot> answered) {

  public ProviderCall(JsonNode request, Consumer<Delta> deltas) {
    this(request, deltas, limits -> {});
  }

  public static ProviderCall of(JsonNode request) {
    return new ProviderCall(request, delta -> {});
  }
}
