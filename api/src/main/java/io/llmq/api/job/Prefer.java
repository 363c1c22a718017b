package io.llmq.api.job;

import java.time.Duration;

/**
 * Reads {@code wait=N} from a {@code Prefer} header (RFC 7240). A preference is a wish, not a
 * demand: an unreadable one is ignored, and a wait above the maximum is cut to it.
 */
final class Prefer {

  private Prefer() {}

  static Duration waitOf(String header, Duration max) {
    if (header == null) {
      return Duration.ZERO;
    }
    for (String preference : header.split("[,;]")) {
      String[] pair = preference.trim().split("=", 2);
      if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("wait")) {
        try {
          long seconds = Long.parseLong(pair[1].trim().replace("\"", ""));
          if (seconds > 0) {
            return Duration.ofSeconds(Math.min(seconds, max.toSeconds()));
          }
        } catch (NumberFormatException e) {
          return Duration.ZERO;
        }
      }
    }
    return Duration.ZERO;
  }
}
