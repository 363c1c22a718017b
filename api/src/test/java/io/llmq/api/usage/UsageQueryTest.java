package io.llmq.api.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmq.api.problem.ErrorCode;
import io.llmq.api.problem.ProblemException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a usage query string becomes a range: defaults, date and timestamp bounds, refusals. */
class UsageQueryTest {

  private static final Instant NOW = Instant.parse("2026-12-15T10:30:00Z");

  private static UsageQuery parse(String... pairs) {
    Map<String, List<String>> parameters = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      parameters.computeIfAbsent(pairs[i], name -> new java.util.ArrayList<>()).add(pairs[i + 1]);
    }
    return UsageQuery.parse(parameters, NOW);
  }

  private static void assertRange(UsageQuery query, String from, String to) {
    assertEquals(Instant.parse(from), query.from(), "from");
    assertEquals(Instant.parse(to), query.to(), "to");
  }

  private static String refusal(String... pairs) {
    ProblemException refused = assertThrows(ProblemException.class, () -> parse(pairs));
    assertEquals(ErrorCode.INVALID_REQUEST, refused.code());
    return refused.getMessage();
  }

  @Test
  void noParametersMeanTheCurrentUtcMonthByDay() {
    UsageQuery query = parse();
    assertRange(query, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z");
    assertEquals(GroupBy.DAY, query.groupBy());
  }

  @Test
  void emptyValuesReadAsNotGiven() {
    UsageQuery query = parse("from", "", "to", "", "group_by", "");
    assertRange(query, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z");
    assertEquals(GroupBy.DAY, query.groupBy());
  }

  @Test
  void aDateFromStartsItsDayAndADateToIncludesItsDay() {
    assertRange(
        parse("from", "2026-11-03", "to", "2026-11-05"),
        "2026-11-03T00:00:00Z",
        "2026-11-06T00:00:00Z");
    assertRange(
        parse("from", "2026-11-05", "to", "2026-11-05"),
        "2026-11-05T00:00:00Z",
        "2026-11-06T00:00:00Z");
  }

  @Test
  void aTimestampToIsExclusiveAndOffsetsAreReadAsUtc() {
    assertRange(
        parse("from", "2026-11-03T08:00:00+02:00", "to", "2026-11-05T12:00:00.5Z"),
        "2026-11-03T06:00:00Z",
        "2026-11-05T12:00:00.500Z");
    assertRange(
        parse("from", "2026-11-03t08:00:00z", "to", "2026-11-04 00:00:00-01:30"),
        "2026-11-03T08:00:00Z",
        "2026-11-04T01:30:00Z");
  }

  @Test
  void anUnencodedPlusOfAnOffsetThatArrivesAsASpaceStillReadsAsPlus() {
    assertRange(
        parse("from", "2026-11-03T08:00:00 02:00", "to", "2026-11-04T00:00:00Z"),
        "2026-11-03T06:00:00Z",
        "2026-11-04T00:00:00Z");
  }

  @Test
  void fractionsBeyondMicrosecondsRoundUpAsNoStoredTimeLiesBetween() {
    assertRange(
        parse("from", "2026-11-03T00:00:00.0000001Z", "to", "2026-11-04T00:00:00.123456001Z"),
        "2026-11-03T00:00:00.000001Z",
        "2026-11-04T00:00:00.123457Z");
  }

  @Test
  void aMissingToIsTheEndOfTheCurrentMonth() {
    assertRange(parse("from", "2026-10-20"), "2026-10-20T00:00:00Z", "2027-01-01T00:00:00Z");
  }

  @Test
  void aMissingFromIsTheStartOfTheMonthInWhichTheRangeEnds() {
    assertRange(parse("to", "2026-10-20"), "2026-10-01T00:00:00Z", "2026-10-21T00:00:00Z");
    assertRange(
        parse("to", "2026-11-01T00:00:00Z"), "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z");
    assertRange(parse("to", "2026-10-31"), "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z");
  }

  @Test
  void groupByIsDayOrModel() {
    assertEquals(GroupBy.MODEL, parse("group_by", "model").groupBy());
    assertEquals(GroupBy.DAY, parse("group_by", "day").groupBy());
    assertEquals("'group_by' must be day or model.", refusal("group_by", "hour"));
    refusal("group_by", "Model");
  }

  @Test
  void boundsThatAreNeitherTimestampsNorDatesAreRefused() {
    for (String bad :
        List.of(
            "notadate",
            "2026-13-01",
            "2026-02-30",
            "2026-1-01",
            "20261201",
            "2026-12-01T00:00:00",
            "2026-12-01T00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T00:00:00+25:00",
            "2026-12-01T00:00:00.1234567890Z",
            "1733011200",
            "2026-12-01Z",
            " 2026-12-01")) {
      assertEquals(
          "'from' must be an RFC 3339 timestamp (2026-12-01T00:00:00Z) or a date (2026-12-01).",
          refusal("from", bad),
          bad);
      refusal("to", bad);
    }
  }

  @Test
  void anEmptyOrReversedRangeIsRefused() {
    assertEquals(
        "'from' (2026-11-06T00:00:00Z) must be before 'to' (2026-11-06T00:00:00Z).",
        refusal("from", "2026-11-06", "to", "2026-11-05"));
    refusal("from", "2026-11-05T10:00:00Z", "to", "2026-11-05T10:00:00Z");
    refusal("from", "2026-11-05T10:00:01Z", "to", "2026-11-05T10:00:00Z");
    refusal("from", "2027-01-01");
  }

  @Test
  void aRangeMaySpan400DaysButNoMore() {
    assertRange(
        parse("from", "2026-01-01", "to", "2027-02-04"),
        "2026-01-01T00:00:00Z",
        "2027-02-05T00:00:00Z");
    assertEquals(
        "The range from 2026-01-01T00:00:00Z to 2027-02-05T00:00:00.000001Z is longer than 400"
            + " days.",
        refusal("from", "2026-01-01", "to", "2027-02-05T00:00:00.000001Z"));
    refusal("from", "2025-01-01");
  }

  @Test
  void boundsOutsideTheYears1To9999AreRefused() {
    assertEquals(
        "'to' must lie within the years 0001 to 9999.",
        refusal("from", "9999-12-01", "to", "9999-12-31"));
    refusal("from", "0000-12-31");
    refusal("from", "0001-01-01T00:00:00+01:00", "to", "0001-01-02");
    assertRange(
        parse("from", "0001-01-01", "to", "0001-01-02"),
        "0001-01-01T00:00:00Z",
        "0001-01-03T00:00:00Z");
  }

  @Test
  void unknownAndRepeatedParametersAreRefused() {
    assertEquals(
        "Unknown query parameter 'group'. Allowed: from, group_by, to.", refusal("group", "model"));
    assertEquals(
        "'from' may be given only once.", refusal("from", "2026-11-01", "from", "2026-11-02"));
  }
}
