package io.llmq.worker.provider;

import io.llmq.common.job.FailureCode;

/** A failure the provider reported, already classified. The message is safe to store on the job. */
public class ProviderException extends RuntimeException {

  private final FailureCode code;

  public ProviderException(FailureCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public FailureCode code() {
    return code;
  }
}
