package io.llmq.worker.provider.simulated;

import io.llmq.common.job.FailureCode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Instructions to the simulator written in a prompt, such as {@code [[sim delay_ms=3000]]}: {@code
 * delay_ms} (how long the call takes), {@code tokens} (how many tokens it answers with) and {@code
 * fail} (a failure code to answer with instead, e.g. {@code upstream_error}). They let tests and
 * demos shape a call without configuration.
 */
record Directives(Long delayMs, Integer tokens, FailureCode fail) {

  private static final Pattern DIRECTIVE =
      Pattern.compile("\\[\\[sim\\s+(delay_ms|tokens|fail)=([a-z0-9_]+)\\s*]]");

  static Directives in(String text) {
    Long delay = null;
    Integer tokens = null;
    FailureCode fail = null;
    Matcher matcher = DIRECTIVE.matcher(text);
    while (matcher.find()) {
      String value = matcher.group(2);
      switch (matcher.group(1)) {
        case "delay_ms" -> delay = parse(value);
        case "tokens" -> tokens = parse(value) == null ? null : parse(value).intValue();
        default -> fail = failure(value);
      }
    }
    return new Directives(delay, tokens, fail);
  }

  private static Long parse(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static FailureCode failure(String value) {
    try {
      return FailureCode.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
