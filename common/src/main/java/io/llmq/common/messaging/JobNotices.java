package io.llmq.common.messaging;

/**
 * The Redis pub/sub channel on which workers announce that a job reached a terminal status; the
 * message is the job id. Waiting api requests wake on it. It is a doorbell, not a record: a lost
 * notice only delays a waiter until its next re-read of the database.
 */
public final class JobNotices {

  public static final String FINISHED = "llmq:jobs:finished";

  private JobNotices() {}
}
