package io.llmq.worker.governor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The governor's stand-in while Redis is unreachable: the same buckets, with the same rules as
 * {@code reserve.lua}, in this process only, sized at this worker's {@link FallbackShare} of each
 * limit (the others are spending too, unseen: each worker takes its part of {@code
 * llmq.governor.fallback-share} by the live workers it last counted, so that together they stay
 * within the limit). A bucket starts each outage empty, not full: the shared bucket may be spent to
 * the last token when Redis stops answering, so a fallback allows no burst, only the share of the
 * refill; a debt from calls admitted earlier is kept. Never a stall, never a crash; shared state
 * resumes when Redis answers again.
 */
final class LocalBuckets {

  private final FallbackShare shares;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  LocalBuckets(FallbackShare shares) {
    this.shares = shares;
  }

  /** What one reservation asks of one bucket; limits per minute, 0 = not enforced. */
  record Charge(String key, long tokens, long tpm, long rpm, double headroom) {}

  private static final class Bucket {
    double tokens;
    double requests;
    long at;
    long contacts;

    Bucket(long at, long contacts) {
      this.at = at;
      this.contacts = contacts;
    }
  }

  /**
   * Charges every bucket, or none when the wait passes {@code horizonMs} (beyond what full buckets
   * would make the call wait); returns the wait in milliseconds, negative when nothing was charged,
   * as the Redis script does.
   */
  synchronized long reserve(List<Charge> charges, long horizonMs, long now) {
    double share = shares.share();
    long contacts = shares.contacts();
    double wait = 0;
    double least = 0;
    List<double[]> levels = new ArrayList<>(charges.size());
    for (Charge charge : charges) {
      double tpm = charge.tpm() * share;
      double rpm = charge.rpm() * share;
      Bucket bucket = buckets.computeIfAbsent(charge.key(), k -> new Bucket(now, contacts));
      long elapsed = Math.max(0, now - bucket.at);
      // Redis answered since this bucket was last used: this is a new outage, which starts empty.
      boolean fresh = bucket.contacts != contacts;
      double tokens = refilled(bucket.tokens, tpm, elapsed, fresh);
      double requests = refilled(bucket.requests, rpm, elapsed, fresh);
      if (tpm > 0) {
        double keep = charge.headroom() * tpm;
        tokens -= charge.tokens();
        if (tokens < keep) {
          wait = Math.max(wait, (keep - tokens) * 60_000 / tpm);
        }
        least = Math.max(least, (keep - tpm + charge.tokens()) * 60_000 / tpm);
      }
      if (rpm > 0) {
        requests -= 1;
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
      bucket.contacts = contacts;
    }
    return waitMs;
  }

  /** A level after {@code elapsed} ms of refill at {@code perMinute}, never above a minute's. */
  private static double refilled(double level, double perMinute, long elapsed, boolean fresh) {
    if (perMinute <= 0) {
      return level;
    }
    double refilled = Math.min(perMinute, level + elapsed * perMinute / 60_000);
    return fresh ? Math.min(refilled, 0) : refilled;
  }

  synchronized void giveBack(String key, long tokens, long requests) {
    Bucket bucket = buckets.get(key);
    if (bucket != null) {
      bucket.tokens += tokens;
      bucket.requests += requests;
    }
  }
}
