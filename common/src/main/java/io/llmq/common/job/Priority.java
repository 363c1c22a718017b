package io.llmq.common.job;

import java.util.Locale;

/**
 * How urgent a job is among its own tenant's jobs: the {@code priority} field of a submission and
 * of the job (SPEC §2). It orders a tenant's jobs within the tenant's share of a limit; it never
 * takes capacity from another tenant (that is {@code share_weight}'s business).
 *
 * <p>{@link #rank()} is what {@code jobs.priority} stores (V7): a smaller rank goes first, so
 * {@code ORDER BY priority} and a sort by rank agree.
 */
public enum Priority {
  HIGH(0),
  NORMAL(1),
  LOW(2);

  /** A submission that names no priority (absent or {@code null}) gets this one. */
  public static final Priority DEFAULT = NORMAL;

  private final int rank;

  Priority(int rank) {
    this.rank = rank;
  }

  /** The order among a tenant's jobs, smallest first: high 0, normal 1, low 2. */
  public int rank() {
    return rank;
  }

  /** The priority as it appears on the wire: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@link #wire()}; throws {@link IllegalArgumentException} for anything else. */
  public static Priority fromWire(String value) {
    for (Priority priority : values()) {
      if (priority.wire().equals(value)) {
        return priority;
      }
    }
    throw new IllegalArgumentException("unknown priority");
  }

  /** Reads {@link #rank()} as stored; throws {@link IllegalArgumentException} for any other. */
  public static Priority fromRank(int rank) {
    for (Priority priority : values()) {
      if (priority.rank == rank) {
        return priority;
      }
    }
    throw new IllegalArgumentException("unknown priority rank");
  }
}
