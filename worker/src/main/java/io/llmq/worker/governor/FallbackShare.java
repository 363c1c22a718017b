package io.llmq.worker.governor;

/**
 * How much of each limit this worker may take alone while Redis is unreachable, as {@link
 * LiveWorkers} works it out from the workers it last counted.
 */
public interface FallbackShare {

  /** The share of every limit this worker may take: above 0, at most 1. */
  double share();

  /**
   * How many times this worker has reached Redis so far. When it has grown since a fallback bucket
   * was last used, Redis answered in between: the bucket belongs to an earlier outage, and its
   * unspent tokens are dropped ({@link LocalBuckets}).
   */
  default long contacts() {
    return 0;
  }
}
