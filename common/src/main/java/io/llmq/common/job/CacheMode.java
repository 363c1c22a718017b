package io.llmq.common.job;

import java.util.Locale;

/** How a job uses the result cache: the {@code cache} field of a submission (SPEC §2). */
public enum CacheMode {
  /** Answer from the cache when it can; otherwise call, and store the answer. */
  DEFAULT,
  /** Neither read nor write the cache. */
  BYPASS,
  /** Skip the lookup, call, and overwrite the stored answer. */
  REFRESH;

  /** The mode as it appears on the wire and in the database: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@link #wire()}; throws {@link IllegalArgumentException} for anything else. */
  public static CacheMode fromWire(String value) {
    for (CacheMode mode : values()) {
      if (mode.wire().equals(value)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("unknown cache mode");
  }
}
