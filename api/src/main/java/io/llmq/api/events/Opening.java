package io.llmq.api.events;

import io.llmq.common.job.JobView;

/**
 * A stream about to open: the job as it is now, the id of its terminal event if that is known, and
 * the last event the client already has.
 *
 * @param terminalEventId {@code null} while the job's end is not (yet) announced
 * @param after the client's {@code Last-Event-ID}, 0 for none
 */
record Opening(JobView job, Integer terminalEventId, long after) {

  /** The job ended and its events, up to the end, are all known. */
  boolean finished() {
    return terminalEventId != null;
  }
}
