package io.llmq.api.usage;

import io.llmq.api.problem.ProblemException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a usage report covers, read from its query string: the half-open range {@code [from, to)} of
 * the ledger rows' {@code started_at}, and the grouping.
 *
 * <p>A date {@code from} is the start of its UTC day; a date {@code to} is inclusive, so the range
 * ends where the next UTC day starts; a timestamp {@code to} is exclusive. A missing {@code to} is
 * the end of the current UTC month; a missing {@code from} is the start of the UTC month in which
 * the range ends, so no parameters at all mean the current month. Anything the report could misread
 * is a 400: unknown or repeated parameters, bounds that are neither RFC 3339 timestamps nor dates,
 * an empty or reversed range, one longer than {@link #MAX_RANGE}.
 *
 * @param from the first instant covered
 * @param to the first instant no longer covered
 */
public record UsageQuery(Instant from, Instant to, GroupBy groupBy) {

  /** Longest range one report covers: a year and a month's margin. */
  public static final Duration MAX_RANGE = Duration.ofDays(400);

  private static final Set<String> PARAMETERS = Set.of("from", "to", "group_by");
  private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

  /**
   * RFC 3339's date-time. A space may stand for the {@code +} of an offset: an unencoded {@code +}
   * in a query string reads as a space, and nothing else can be meant there.
   */
  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "(\\d{4}-\\d{2}-\\d{2})[Tt ](\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?)([Zz]|[+ -]\\d{2}:\\d{2})");

  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant END_OF_TIME =
      LocalDate.of(10000, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();

  /** Reads the query string of a usage request made at {@code now}. */
  public static UsageQuery parse(Map<String, List<String>> parameters, Instant now) {
    onlyKnownOnce(parameters);
    Instant to = bound("to", value(parameters, "to"), true);
    Instant from = bound("from", value(parameters, "from"), false);
    if (to == null) {
      to = monthOf(now).plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
    if (from == null) {
      Instant lastCovered = to.minus(1, ChronoUnit.MICROS);
      Instant start = monthOf(lastCovered).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      from = start.isBefore(EARLIEST) ? EARLIEST : start;
    }
    if (!from.isBefore(to)) {
      throw ProblemException.invalid("'from' (" + from + ") must be before 'to' (" + to + ").");
    }
    if (Duration.between(from, to).compareTo(MAX_RANGE) > 0) {
      throw ProblemException.invalid(
          "The range from "
              + from
              + " to "
              + to
              + " is longer than "
              + MAX_RANGE.toDays()
              + " days.");
    }
    String groupBy = value(parameters, "group_by");
    return new UsageQuery(
        from, to, groupBy == null || groupBy.isEmpty() ? GroupBy.DAY : GroupBy.fromWire(groupBy));
  }

  /** 400 for a parameter the report does not know, or one given twice: either would be misread. */
  private static void onlyKnownOnce(Map<String, List<String>> parameters) {
    for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
      if (!PARAMETERS.contains(parameter.getKey())) {
        throw ProblemException.invalid(
            "Unknown query parameter '"
                + truncate(parameter.getKey())
                + "'. Allowed: "
                + String.join(", ", new TreeSet<>(PARAMETERS))
                + ".");
      }
      if (parameter.getValue().size() > 1) {
        throw ProblemException.invalid("'" + parameter.getKey() + "' may be given only once.");
      }
    }
  }

  private static String value(Map<String, List<String>> parameters, String name) {
    List<String> values = parameters.get(name);
    return values == null || values.isEmpty() ? null : values.getFirst();
  }

  /**
   * The instant a bound names, {@code null} when it is not given. A date {@code to} names the start
   * of the next day. Timestamps are rounded up to PostgreSQL's microseconds, which changes no
   * comparison with a stored time.
   */
  private static Instant bound(String name, String value, boolean end) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    Instant instant;
    try {
      instant = DATE.matcher(value).matches() ? day(value, end) : timestamp(name, value);
    } catch (DateTimeException e) {
      throw malformed(name);
    }
    if (instant.isBefore(EARLIEST) || !instant.isBefore(END_OF_TIME)) {
      throw ProblemException.invalid("'" + name + "' must lie within the years 0001 to 9999.");
    }
    return instant;
  }

  private static Instant day(String value, boolean end) {
    LocalDate day = LocalDate.parse(value);
    return (end ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  private static Instant timestamp(String name, String value) {
    Matcher parts = TIMESTAMP.matcher(value);
    if (!parts.matches()) {
      throw malformed(name);
    }
    String offset = parts.group(3).toUpperCase(Locale.ROOT).replace(' ', '+');
    Instant instant =
        OffsetDateTime.parse(parts.group(1) + "T" + parts.group(2) + offset).toInstant();
    Instant micros = instant.truncatedTo(ChronoUnit.MICROS);
    return micros.equals(instant) ? instant : micros.plus(1, ChronoUnit.MICROS);
  }

  private static YearMonth monthOf(Instant instant) {
    return YearMonth.from(instant.atOffset(ZoneOffset.UTC));
  }

  private static ProblemException malformed(String name) {
    return ProblemException.invalid(
        "'"
            + name
            + "' must be an RFC 3339 timestamp (2026-12-01T00:00:00Z) or a date (2026-12-01).");
  }

  private static String truncate(String name) {
    return name.length() > 64 ? name.substring(0, 64) + "…" : name;
  }
}
