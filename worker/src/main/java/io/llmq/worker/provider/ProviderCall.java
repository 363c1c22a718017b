package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Consumer;

/**
 * One call to a provider.
 *
 * @param request the OpenAI Chat Completions request, its {@code model} already the name the
 *     provider knows; adapters translate it for providers that speak another format
 * @param deltas receives output as it streams, in order, on the call's thread; must not block
 */
public record ProviderCall(JsonNode request, Consumer<Delta> deltas) {

  public static ProviderCall of(JsonNode request) {
    return new ProviderCall(request, delta -> {});
  }
}
