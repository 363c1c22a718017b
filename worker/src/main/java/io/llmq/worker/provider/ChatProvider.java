package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;

/** Something that answers chat completion requests: a real provider or the simulator. */
public interface ChatProvider {

  /** The name models refer to in {@code llmq.models."<model>".provider}. */
  String name();

  /**
   * Runs one request. Fails with {@link ProviderException} for failures the provider reported, and
   * with anything else for failures of llmq itself.
   */
  Uni<Completion> complete(JsonNode request);
}
