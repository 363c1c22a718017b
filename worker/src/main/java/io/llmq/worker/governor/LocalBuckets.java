package io.llmq.worker.governor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The governor's stand-in while Redis is unreachable: the same buckets in this process only, sized
 * at a conservative share of each limit (other replicas are spending too, unseen). Never a stall,
 * never a crash; shared state resumes when Redis answers again.
 */
final class LocalBuckets {

  private final double share;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  LocalBuckets(double share) {
    this.share = share;
  }

  private static final class Bucket {
    double tokens;
    double requests;
    long at;

    Bucket(double tokens, double requests, long at) {
      this.tokens = tokens;
      this.requests = requests;
      this.at = at;
    }
  }

  /** Charges the bucket and returns the wait in milliseconds, as the Redis script does. */
  long reserve(String key, long cost, long tpm, long rpm, long now) {
    double tokensPerMinute = tpm * share;
    double requestsPerMinute = rpm * share;
    Bucket bucket =
        buckets.computeIfAbsent(key, k -> new Bucket(tokensPerMinute, requestsPerMinute, now));
    synchronized (bucket) {
      long elapsed = Math.max(0, now - bucket.at);
      bucket.at = now;
      double wait = 0;
      if (tokensPerMinute > 0) {
        bucket.tokens =
            Math.min(tokensPerMinute, bucket.tokens + elapsed * tokensPerMinute / 60_000) - cost;
        if (bucket.tokens < 0) {
          wait = Math.max(wait, -bucket.tokens * 60_000 / tokensPerMinute);
        }
      }
      if (requestsPerMinute > 0) {
        bucket.requests =
            Math.min(requestsPerMinute, bucket.requests + elapsed * requestsPerMinute / 60_000) - 1;
        if (bucket.requests < 0) {
          wait = Math.max(wait, -bucket.requests * 60_000 / requestsPerMinute);
        }
      }
      return (long) Math.ceil(wait);
    }
  }

  void giveBack(String key, long tokens, long requests) {
    Bucket bucket = buckets.get(key);
    if (bucket != null) {
      synchronized (bucket) {
        bucket.tokens += tokens;
        bucket.requests += requests;
      }
    }
  }
}
