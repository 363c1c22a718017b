package io.llmq.worker.provider;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads providers' rate-limit headers into one {@link RateLimitSnapshot}: OpenAI's {@code
 * x-ratelimit-*} (resets as Go durations such as {@code 6m0s} or {@code 120ms}), Anthropic's {@code
 * anthropic-ratelimit-*} (resets as RFC 3339 instants), and {@code retry-after} (seconds or an HTTP
 * date) with OpenAI's {@code retry-after-ms}. Unreadable values count as absent.
 */
public final class RateLimitHeaders {

  private static final Pattern GO_DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|µs|ns)");

  private RateLimitHeaders() {}

  /**
   * @param header a case-insensitive header lookup, {@code null} for an absent header
   * @param now the moment the response arrived, to turn reset instants into durations
   */
  public static RateLimitSnapshot read(Function<String, String> header, Instant now) {
    Long requestLimit = number(header.apply("x-ratelimit-limit-requests"));
    Long requestsRemaining = number(header.apply("x-ratelimit-remaining-requests"));
    Duration requestsReset = goDuration(header.apply("x-ratelimit-reset-requests"));
    Long tokenLimit = number(header.apply("x-ratelimit-limit-tokens"));
    Long tokensRemaining = number(header.apply("x-ratelimit-remaining-tokens"));
    Duration tokensReset = goDuration(header.apply("x-ratelimit-reset-tokens"));
    if (requestLimit == null
        && requestsRemaining == null
        && header.apply("anthropic-ratelimit-requests-limit") != null) {
      requestLimit = number(header.apply("anthropic-ratelimit-requests-limit"));
      requestsRemaining = number(header.apply("anthropic-ratelimit-requests-remaining"));
      requestsReset = until(header.apply("anthropic-ratelimit-requests-reset"), now);
    }
    if (tokenLimit == null && tokensRemaining == null && tokensReset == null) {
      // Anthropic reports all tokens, or input tokens alone on newer accounts.
      String family =
          header.apply("anthropic-ratelimit-tokens-limit") != null
              ? "anthropic-ratelimit-tokens-"
              : "anthropic-ratelimit-input-tokens-";
      tokenLimit = number(header.apply(family + "limit"));
      tokensRemaining = number(header.apply(family + "remaining"));
      tokensReset = until(header.apply(family + "reset"), now);
    }
    return new RateLimitSnapshot(
        requestLimit,
        requestsRemaining,
        requestsReset,
        tokenLimit,
        tokensRemaining,
        tokensReset,
        retryAfter(header, now));
  }

  private static Duration retryAfter(Function<String, String> header, Instant now) {
    String millis = header.apply("retry-after-ms");
    if (millis != null) {
      try {
        return Duration.ofMillis(new BigDecimal(millis.trim()).longValue());
      } catch (NumberFormatException | ArithmeticException e) {
        // fall back to retry-after
      }
    }
    String value = header.apply("retry-after");
    if (value == null) {
      return null;
    }
    try {
      BigDecimal seconds = new BigDecimal(value.trim());
      return Duration.ofMillis(seconds.movePointRight(3).longValue());
    } catch (NumberFormatException e) {
      try {
        Instant at =
            ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        return nonNegative(Duration.between(now, at));
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  /**
   * Parses a Go duration ({@code 1h2m3.5s}, {@code 120ms}, {@code 0s}); {@code null} if unreadable.
   */
  static Duration goDuration(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Matcher part = GO_DURATION_PART.matcher(value.trim());
    long nanos = 0;
    int end = 0;
    while (part.find()) {
      if (part.start() != end) {
        return null;
      }
      BigDecimal amount = new BigDecimal(part.group(1));
      long unit =
          switch (part.group(2)) {
            case "h" -> 3_600_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "s" -> 1_000_000_000L;
            case "ms" -> 1_000_000L;
            case "us", "µs" -> 1_000L;
            default -> 1L;
          };
      nanos += amount.multiply(BigDecimal.valueOf(unit)).longValue();
      end = part.end();
    }
    return end == value.trim().length() && end > 0 ? Duration.ofNanos(nanos) : null;
  }

  private static Duration until(String instant, Instant now) {
    if (instant == null) {
      return null;
    }
    try {
      return nonNegative(Duration.between(now, OffsetDateTime.parse(instant.trim()).toInstant()));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Long number(String value) {
    if (value == null) {
      return null;
    }
    try {
      return new BigDecimal(value.trim()).longValue();
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Duration nonNegative(Duration duration) {
    return duration.isNegative() ? Duration.ZERO : duration;
  }
}
