package io.llmq.simulator.settings;

import java.util.Locale;

/**
 * How admission counts a call's prompt against the token bucket: as it is billed ({@code
 * tokenizer}: the simulator's own billing count, 4 + ceil(characters / 4) per message), or as
 * OpenAI's limiter estimates it before any tokenizer ({@code characters}: ceil(characters / 4) + 3
 * per message). Either way the output reserved at admission is added, once per choice.
 */
public enum LimiterCount {
  TOKENIZER,
  CHARACTERS;

  /** The setting's value as written: {@code tokenizer}, {@code characters}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The count a setting names, case aside. */
  public static LimiterCount fromWire(String value) {
    for (LimiterCount count : values()) {
      if (count.wire().equalsIgnoreCase(value)) {
        return count;
      }
    }
    throw new IllegalArgumentException("limiter_count must be tokenizer or characters");
  }
}
