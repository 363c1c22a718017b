package io.llmq.common.guardrails;

import java.util.Locale;
import java.util.Optional;

/**
 * A tenant's policy for one input screen (SPEC §2 Auth {@code policies.moderation}, {@code
 * policies.injection}): not screened, screened with the verdict recorded on the job, or screened
 * with a flagged job failed {@code content_blocked} before any call for its answer.
 */
public enum Policy {
  OFF,
  FLAG,
  BLOCK;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The policy named {@code wire} exactly ({@code "off"}, {@code "flag"}, {@code "block"}). */
  public static Optional<Policy> fromWire(String wire) {
    for (Policy policy : values()) {
      if (policy.wire().equals(wire)) {
        return Optional.of(policy);
      }
    }
    return Optional.empty();
  }

  /** Whether the screen runs at all. */
  public boolean screens() {
    return this != OFF;
  }
}
