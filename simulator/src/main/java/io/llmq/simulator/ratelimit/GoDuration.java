package io.llmq.simulator.ratelimit;

import java.time.Duration;

/**
 * Durations written the way Go prints them, which is how OpenAI's {@code x-ratelimit-reset-*}
 * headers read: {@code 120ms}, {@code 1s}, {@code 6m0s}, {@code 1m30.5s}. Rounded up to the
 * millisecond, so a bucket that is not quite full never reads {@code 0s}.
 */
public final class GoDuration {

  private GoDuration() {}

  public static String format(Duration duration) {
    long millis = (duration.toNanos() + 999_999) / 1_000_000;
    if (millis <= 0) {
      return "0s";
    }
    if (millis < 1000) {
      return millis + "ms";
    }
    long hours = millis / 3_600_000;
    long minutes = millis / 60_000 % 60;
    long secondMillis = millis % 60_000;
    StringBuilder text = new StringBuilder();
    if (hours > 0) {
      text.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      text.append(minutes).append('m');
    }
    text.append(secondMillis / 1000);
    long fraction = secondMillis % 1000;
    if (fraction > 0) {
      text.append('.').append(String.format("%03d", fraction).replaceAll("0+$", ""));
    }
    return text.append('s').toString();
  }
}
