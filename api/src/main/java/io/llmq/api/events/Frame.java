package io.llmq.api.events;

import io.llmq.common.events.JobEvent;

/**
 * What an SSE stream sends: a job's event, a keep-alive comment, or the failure or the stop that
 * ends it.
 */
sealed interface Frame {

  /** One of the job's events, with its id. */
  record Event(JobEvent event) implements Frame {}

  /** A {@code : keep-alive} comment line. */
  record KeepAlive() implements Frame {}

  /** The stream could not go on; the client may reconnect with its {@code Last-Event-ID}. */
  record Failure(String data) implements Frame {}

  /**
   * This api instance is stopping: the client should reconnect, to any instance, with {@code
   * Last-Event-ID} set to {@code lastEventId} (the last event it was sent), and lose nothing.
   */
  record Reconnect(long lastEventId) implements Frame {}
}
