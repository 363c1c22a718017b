package io.llmq.worker.execution;

/** What becomes of a job's message once the worker is done with it. */
public enum Outcome {
  /** Handled: the job's new state is durable (or the message was a harmless duplicate). */
  ACK,
  /** The job failed for good: the message goes to the dead-letter queue. */
  DEAD_LETTER,
  /** The worker could not record anything (its database is away): the broker should redeliver. */
  REDELIVER,
  /**
   * The worker is stopping and never claimed the job: the message is left unsettled, and the broker
   * gives it to another worker when this one's connection closes. Settling it now would only bring
   * it back to this worker's own prefetch.
   */
  HAND_BACK
}
