package io.llmq.api.ratelimit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The limiter's stand-in while Redis is out of reach: the same GCRA as {@code gcra.lua}, in this
 * process only, with {@code share} of each quota (the other replicas admit their own share,
 * unseen): a burst of {@code share × quota} (at least one) and that many per minute. Its state
 * starts whole, so an outage does not refuse a caller that was well within its limit, and is kept
 * between outages (a flapping Redis grants no fresh bursts).
 */
final class LocalGcra {

  private static final long WINDOW_MICROS = Policy.WINDOW_SECONDS * 1_000_000;
  private static final int SWEEP_EVERY = 1024;

  private final double share;
  private final LongSupplier clockMicros;
  private final Map<String, Long> arrivals = new HashMap<>();
  private int sinceSweep;

  LocalGcra(double share, LongSupplier clockMicros) {
    this.share = share;
    this.clockMicros = clockMicros;
  }

  /** Checks every policy, and charges all of them only when each admits the request. */
  synchronized Verdict check(List<Policy> policies, boolean charge) {
    long now = clockMicros.getAsLong();
    sweep(now);
    boolean admitted = true;
    long[] tats = new long[policies.size()];
    long[] waits = new long[policies.size()];
    for (int i = 0; i < policies.size(); i++) {
      Policy policy = policies.get(i);
      tats[i] = Math.max(arrivals.getOrDefault(policy.key(), now), now);
      waits[i] = Math.max(0, tats[i] + interval(policy) - now - burst(policy));
      admitted &= waits[i] == 0;
    }
    List<Verdict.State> states = new ArrayList<>(policies.size());
    for (int i = 0; i < policies.size(); i++) {
      Policy policy = policies.get(i);
      long interval = interval(policy);
      long tat = tats[i];
      if (admitted && charge) {
        tat += interval;
        arrivals.put(policy.key(), tat);
      }
      long room = burst(policy) - (tat - now);
      long left = Math.max(0, Math.floorDiv(room, interval));
      long reset = tat > now ? Math.max(0, (left + 1) * interval - room) : 0;
      states.add(new Verdict.State(policy, left, reset, waits[i]));
    }
    return new Verdict(admitted, states, true);
  }

  private long interval(Policy policy) {
    return Math.max(1, (long) (WINDOW_MICROS / (policy.quota() * share)));
  }

  private long burst(Policy policy) {
    return interval(policy) * Math.max(1, (long) Math.floor(policy.quota() * share));
  }

  /** Now and then, forgets the callers whose quota is whole again. */
  private void sweep(long now) {
    if (++sinceSweep >= SWEEP_EVERY) {
      sinceSweep = 0;
      arrivals.values().removeIf(tat -> tat <= now);
    }
  }
}
