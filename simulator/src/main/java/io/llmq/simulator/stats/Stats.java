package io.llmq.simulator.stats;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the simulator has served since it started or was last reset, for benchmarks to compare with
 * what the client believes happened. Counters are swapped whole on reset, so a call counted during
 * a reset lands in one set or the other, never half in each.
 */
@ApplicationScoped
public class Stats {

  private final AtomicReference<Counters> counters = new AtomicReference<>(new Counters());

  /** A call arrived at a provider endpoint. */
  public void received() {
    counters.get().requests.increment();
  }

  /** A response started with this status (resets and hangs have none). */
  public void status(int status) {
    counters.get().byStatus.computeIfAbsent(status, code -> new LongAdder()).increment();
  }

  /** A call was refused by its key's buckets. */
  public void rateLimited() {
    counters.get().rateLimited.increment();
  }

  public void faultInjected() {
    counters.get().faultsInjected.increment();
  }

  /** Tokens taken from a bucket at admission. */
  public void charged(long tokens) {
    counters.get().tokensCharged.add(tokens);
  }

  /** A call completed and reported this usage. */
  public void billed(long promptTokens, long completionTokens) {
    Counters current = counters.get();
    current.promptTokens.add(promptTokens);
    current.completionTokens.add(completionTokens);
  }

  public void reset() {
    counters.set(new Counters());
  }

  public StatsSnapshot snapshot() {
    Counters c = counters.get();
    double seconds = Duration.between(c.startedAt, Instant.now()).toNanos() / 1e9;
    Map<String, Long> byStatus = new TreeMap<>();
    c.byStatus.forEach((status, count) -> byStatus.put(status.toString(), count.sum()));
    long requests = c.requests.sum();
    long prompt = c.promptTokens.sum();
    long completion = c.completionTokens.sum();
    long charged = c.tokensCharged.sum();
    return new StatsSnapshot(
        c.startedAt.toString(),
        Math.round(seconds * 1000) / 1000.0,
        requests,
        byStatus,
        c.rateLimited.sum(),
        c.faultsInjected.sum(),
        prompt,
        completion,
        charged,
        new StatsSnapshot.PerMinute(
            perMinute(requests, seconds),
            perMinute(prompt, seconds),
            perMinute(completion, seconds),
            perMinute(charged, seconds)));
  }

  private static double perMinute(long count, double seconds) {
    return seconds <= 0 ? 0 : Math.round(count * 60 / seconds * 100) / 100.0;
  }

  private static final class Counters {
    final Instant startedAt = Instant.now();
    final LongAdder requests = new LongAdder();
    final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder faultsInjected = new LongAdder();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder completionTokens = new LongAdder();
    final LongAdder tokensCharged = new LongAdder();
  }
}
