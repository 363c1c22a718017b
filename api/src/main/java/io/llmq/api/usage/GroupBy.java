package io.llmq.api.usage;

import io.llmq.api.problem.ProblemException;
import java.util.Locale;

/** How a usage report splits its range: by UTC day of the attempt's start, or by priced model. */
public enum GroupBy {
  DAY,
  MODEL;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The grouping a {@code group_by} value names; 400 for any other value. */
  static GroupBy fromWire(String value) {
    for (GroupBy groupBy : values()) {
      if (groupBy.wire().equals(value)) {
        return groupBy;
      }
    }
    throw ProblemException.invalid("'group_by' must be day or model.");
  }
}
