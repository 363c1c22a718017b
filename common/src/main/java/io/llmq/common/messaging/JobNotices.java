package io.llmq.common.messaging;

/**
 * Redis pub/sub channels between the apps. Each is a doorbell, not a record: a lost notice only
 * delays whoever listens until its own safety net (a periodic re-read) notices the change.
 */
public final class JobNotices {

  /**
   * Workers (and the api, for a cancel) announce that a job reached a terminal status; the message
   * is the job id. Waiting api requests wake on it.
   */
  public static final String FINISHED = "llmq:jobs:finished";

  /**
   * The api announces that a tenant cancelled a job, and the worker's deadline sweep that a queued
   * job expired; the message is the job id. The worker that runs the job, or holds it waiting for
   * capacity, lets go of it at once.
   */
  public static final String CANCELLED = "llmq:jobs:cancelled";

  /**
   * A webhook delivery became due (a job ended, or a redelivery was asked for); workers look for
   * due deliveries at once instead of at their next poll.
   */
  public static final String WEBHOOKS_DUE = "llmq:webhooks:due";

  private JobNotices() {}
}
