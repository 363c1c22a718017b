package io.llmq.api.ratelimit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the limiter said about one request: admitted or not, and where each of the caller's policies
 * stands after it (before it, when it was refused: a refused request costs nothing).
 *
 * @param local whether this replica decided alone, Redis being out of reach
 */
public record Verdict(boolean admitted, List<State> states, boolean local) {

  /** A caller without limits: always admitted, and no headers. */
  static final Verdict UNLIMITED = new Verdict(true, List.of(), false);

  /**
   * One policy's standing.
   *
   * @param remaining requests it admits at once now
   * @param resetMicros until it admits one more ({@code 0}: its quota is whole)
   * @param waitMicros until it would have admitted this request ({@code 0}: it did, or would)
   */
  record State(Policy policy, long remaining, long resetMicros, long waitMicros) {}

  /** Whether any policy applies, that is whether the answer carries the headers. */
  public boolean limited() {
    return !states.isEmpty();
  }

  /**
   * Whole seconds until this request would be admitted, rounded up and at least 1: the wait of the
   * policy that is furthest from admitting it (every policy must admit it).
   */
  public long retryAfterSeconds() {
    long wait = states.stream().mapToLong(State::waitMicros).max().orElse(0);
    return Math.max(1, ceilSeconds(wait));
  }

  /** The name of the policy that refused the request, the one with the longest wait. */
  String refusedBy() {
    return states.stream()
        .filter(state -> state.waitMicros() > 0)
        .max((a, b) -> Long.compare(a.waitMicros(), b.waitMicros()))
        .map(state -> state.policy().name())
        .orElse(null);
  }

  /**
   * The IETF {@code RateLimit-Policy} and {@code RateLimit} fields
   * (draft-ietf-httpapi-ratelimit-headers, structured-field lists), e.g. {@code "tenant";q=30;w=60,
   * "key";q=10;w=60} and {@code "tenant";r=12;t=2, "key";r=3;t=6}. {@code r} is what the policy
   * admits at once, {@code t} the whole seconds (rounded up) until it admits one more: within
   * {@code t} seconds a client can use no more than {@code r}, as the draft defines the effective
   * window; {@code 0} when the quota is whole. Empty for a caller without limits.
   */
  public Map<String, String> headers() {
    if (states.isEmpty()) {
      return Map.of();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(
        "RateLimit-Policy",
        states.stream()
            .map(state ->
                quoted(state.policy().name())
                    + ";q="
                    + state.policy().quota()
                    + ";w="
                    + Policy.WINDOW_SECONDS)
            .collect(Collectors.joining(", ")));
    headers.put(
        "RateLimit",
        states.stream()
            .map(state ->
                quoted(state.policy().name())
                    + ";r="
                    + state.remaining()
                    + ";t="
                    + ceilSeconds(state.resetMicros()))
            .collect(Collectors.joining(", ")));
    return headers;
  }

  private static String quoted(String name) {
    return "\"" + name + "\"";
  }

  private static long ceilSeconds(long micros) {
    return Math.ceilDiv(micros, 1_000_000L);
  }
}
