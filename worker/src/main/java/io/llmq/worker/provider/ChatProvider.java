package io.llmq.worker.provider;

import io.smallrye.mutiny.Uni;

/** Something that answers chat completion requests: a real provider or the simulator. */
public interface ChatProvider {

  /** The name models refer to in {@code llmq.models."<model>".provider}. */
  String name();

  /**
   * Runs one call. Fails with {@link ProviderException} for failures of the provider or the way to
   * it (classified by {@link FailureClassifier}), and with anything else for failures of llmq
   * itself. Cancelling the returned Uni aborts the call.
   */
  Uni<Completion> complete(ProviderCall call);
}
