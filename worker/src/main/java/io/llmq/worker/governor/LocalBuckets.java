package io.llmq.worker.governor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The governor's stand-in while Redis is unreachable: the same buckets, with the same rules as
 * {@code reserve.lua}, in this process only, sized at a conservative share of each limit (other
 * replicas are spending too, unseen). A bucket starts empty, not full: the shared bucket may be
 * spent to the last token when Redis stops answering, so a fallback allows no burst, only the share
 * of the refill. Never a stall, never a crash; shared state resumes when Redis answers again.
 */
final class LocalBuckets {

  private final double share;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  LocalBuckets(double share) {
    this.share = share;
  }

  /** What one reservation asks of one bucket; limits per minute, 0 = not enforced. */
  record Charge(String key, long tokens, long tpm, long rpm, double headroom) {}

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

  /**
   * Charges every bucket, or none when the wait passes {@code horizonMs} (beyond what full buckets
   * would make the call wait); returns the wait in milliseconds, negative when nothing was charged,
   * as the Redis script does.
   */
  synchronized long reserve(List<Charge> charges, long horizonMs, long now) {
    double wait = 0;
    double least = 0;
    List<double[]> levels = new ArrayList<>(charges.size());
    for (Charge charge : charges) {
      double tpm = charge.tpm() * share;
      double rpm = charge.rpm() * share;
      Bucket bucket = buckets.computeIfAbsent(charge.key(), k -> new Bucket(0, 0, now));
      long elapsed = Math.max(0, now - bucket.at);
      double tokens = bucket.tokens;
      double requests = bucket.requests;
      if (tpm > 0) {
        double keep = charge.headroom() * tpm;
        tokens = Math.min(tpm, tokens + elapsed * tpm / 60_000) - charge.tokens();
        if (tokens < keep) {
          wait = Math.max(wait, (keep - tokens) * 60_000 / tpm);
        }
        least = Math.max(least, (keep - tpm + charge.tokens()) * 60_000 / tpm);
      }
      if (rpm > 0) {
        requests = Math.min(rpm, requests + elapsed * rpm / 60_000) - 1;
        if (requests < 0) {
          wait = Math.max(wait, -requests * 60_000 / rpm);
        }
      }
      levels.add(new double[] {tokens, requests});
    }
    long waitMs = (long) Math.ceil(wait);
    if (wait > horizonMs + least) {
      return -waitMs;
    }
    for (int i = 0; i < charges.size(); i++) {
      Bucket bucket = buckets.get(charges.get(i).key());
      bucket.tokens = levels.get(i)[0];
      bucket.requests = levels.get(i)[1];
      bucket.at = now;
    }
    return waitMs;
  }

  synchronized void giveBack(String key, long tokens, long requests) {
    Bucket bucket = buckets.get(key);
    if (bucket != null) {
      bucket.tokens += tokens;
      bucket.requests += requests;
    }
  }
}
