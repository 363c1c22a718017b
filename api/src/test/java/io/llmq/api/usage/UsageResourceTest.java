package io.llmq.api.usage;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.ADMIN;
import static io.llmq.api.TestTenants.bearer;
import static io.llmq.api.usage.LedgerRows.cacheHit;
import static io.llmq.api.usage.LedgerRows.call;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The usage reports, read from ledger rows written as the worker writes them: exact sums per day
 * and per model, totals equal to the jobs' costs, ranges, tenant isolation, scopes and refusals.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class UsageResourceTest {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final List<String> ENTRY_FIELDS =
      List.of(
          "key",
          "requests",
          "prompt_tokens",
          "cached_tokens",
          "completion_tokens",
          "cost_usd",
          "cache_hits",
          "cost_saved_usd");

  /** A tenant with a March of five jobs: retried, late at night, cached, on three models. */
  private static String tenantWithAMarch() {
    String tenant = TestTenants.tenant("usage-" + System.nanoTime());
    LedgerRows.job(
        tenant,
        call("gpt-4o-mini", "2026-03-04T10:00:00Z", 100, 20, 0, "0.0000000001"),
        call("gpt-4o-mini", "2026-03-04T10:05:00Z", 100, 0, 50, "0.0000001234"));
    LedgerRows.job(tenant, call("gpt-4o", "2026-03-05T23:59:59.999999Z", 1000, 0, 200, "0.0125"));
    LedgerRows.job(
        tenant, cacheHit("gpt-4o-mini", "2026-03-07T00:00:00Z", 100, 20, 50, "0.0000001234"));
    LedgerRows.job(tenant, call("claude-sonnet-4-5", "2026-03-07T08:00:00Z", 7, 0, 3, "1.5"));
    LedgerRows.job(tenant, call("Mistral-Large", "2026-03-31T23:00:00Z", 1, 1, 1, "0.1"));
    return tenant;
  }

  private static JsonNode usage(String key, String query) {
    return read(
        given()
            .header("Authorization", bearer(key))
            .get("/v1/usage" + query)
            .then()
            .statusCode(200)
            .contentType("application/json"));
  }

  private static JsonNode adminUsage(String tenant, String query) {
    return read(
        given()
            .header("Authorization", ADMIN)
            .get("/v1/admin/tenants/" + tenant + "/usage" + query)
            .then()
            .statusCode(200)
            .contentType("application/json"));
  }

  private static JsonNode read(ValidatableResponse response) {
    try {
      return JSON.readTree(response.extract().asString());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> keys(JsonNode report) {
    List<String> keys = new ArrayList<>();
    report.get("data").forEach(entry -> keys.add(entry.get("key").asText()));
    return keys;
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Checks one entry (or the total, without a key) field by field, costs to the last digit. */
  private static void assertSums(
      JsonNode sums,
      long requests,
      long prompt,
      long cached,
      long completion,
      String cost,
      long cacheHits,
      String saved) {
    assertEquals(requests, sums.get("requests").longValue(), "requests");
    assertEquals(prompt, sums.get("prompt_tokens").longValue(), "prompt_tokens");
    assertEquals(cached, sums.get("cached_tokens").longValue(), "cached_tokens");
    assertEquals(completion, sums.get("completion_tokens").longValue(), "completion_tokens");
    assertEquals(new BigDecimal(cost), sums.get("cost_usd").decimalValue(), "cost_usd");
    assertEquals(cacheHits, sums.get("cache_hits").longValue(), "cache_hits");
    assertEquals(new BigDecimal(saved), sums.get("cost_saved_usd").decimalValue(), "cost_saved");
  }

  @Test
  void daysHoldExactSumsInOrderAndOnlyDaysWithRowsAreListed() {
    String tenant = tenantWithAMarch();
    JsonNode report = usage(TestTenants.key(tenant), "?from=2026-03-01&to=2026-03-31");

    assertEquals(List.of("from", "to", "group_by", "data", "total"), fields(report));
    assertEquals("2026-03-01T00:00:00Z", report.get("from").asText());
    assertEquals("2026-04-01T00:00:00Z", report.get("to").asText());
    assertEquals("day", report.get("group_by").asText());
    assertEquals(List.of("2026-03-04", "2026-03-05", "2026-03-07", "2026-03-31"), keys(report));
    report.get("data").forEach(entry -> assertEquals(ENTRY_FIELDS, fields(entry)));
    JsonNode data = report.get("data");
    assertSums(data.get(0), 2, 200, 20, 50, "0.0000001235", 0, "0");
    assertSums(data.get(1), 1, 1000, 0, 200, "0.0125", 0, "0");
    assertSums(data.get(2), 1, 107, 20, 53, "1.5", 1, "0.0000001234");
    assertSums(data.get(3), 1, 1, 1, 1, "0.1", 0, "0");
    assertEquals(ENTRY_FIELDS.subList(1, ENTRY_FIELDS.size()), fields(report.get("total")));
    assertSums(report.get("total"), 5, 1308, 41, 304, "1.6125001235", 1, "0.0000001234");
  }

  @Test
  void theTotalCostIsTheSumOfTheJobsCostsToTheLastStoredDigit() {
    String tenant = tenantWithAMarch();
    JsonNode report = usage(TestTenants.key(tenant), "?from=2026-03-01&to=2026-03-31");

    BigDecimal jobs = LedgerRows.jobsCost(tenant);
    assertEquals(new BigDecimal("1.6125001235000000"), jobs.setScale(16));
    assertEquals(jobs.stripTrailingZeros(), report.get("total").get("cost_usd").decimalValue());
    String body =
        given()
            .header("Authorization", ADMIN)
            .get("/v1/admin/tenants/" + tenant + "/usage?from=2026-03-01&to=2026-03-31")
            .asString();
    // Plain decimals as stored, never an exponent or a binary float's digits.
    assertTrue(body.contains("\"cost_usd\":0.0000001235,"), body);
    assertTrue(body.contains("\"cost_usd\":1.6125001235,"), body);
    assertTrue(body.contains("\"cost_saved_usd\":0}"), body);
  }

  @Test
  void modelsAreGroupedAndSortedByName() {
    String tenant = tenantWithAMarch();
    JsonNode report =
        usage(TestTenants.key(tenant), "?from=2026-03-01&to=2026-03-31&group_by=model");

    assertEquals("model", report.get("group_by").asText());
    // Code-point order, whatever the database's collation.
    assertEquals(
        List.of("Mistral-Large", "claude-sonnet-4-5", "gpt-4o", "gpt-4o-mini"), keys(report));
    JsonNode data = report.get("data");
    assertSums(data.get(0), 1, 1, 1, 1, "0.1", 0, "0");
    assertSums(data.get(1), 1, 7, 0, 3, "1.5", 0, "0");
    assertSums(data.get(2), 1, 1000, 0, 200, "0.0125", 0, "0");
    assertSums(data.get(3), 2, 300, 40, 100, "0.0000001235", 1, "0.0000001234");
    assertSums(report.get("total"), 5, 1308, 41, 304, "1.6125001235", 1, "0.0000001234");
  }

  @Test
  void theDefaultRangeIsTheCurrentUtcMonth() {
    String tenant = TestTenants.tenant("usage-now-" + System.nanoTime());
    YearMonth month = YearMonth.now(ZoneOffset.UTC);
    Instant start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant next = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    LedgerRows.job(
        tenant, call("gpt-4o", start.minus(1, ChronoUnit.MICROS).toString(), 1, 0, 0, "1"));
    LedgerRows.job(tenant, call("gpt-4o", start.toString(), 10, 0, 0, "0.01"));
    LedgerRows.job(tenant, call("gpt-4o", next.toString(), 100, 0, 0, "100"));

    JsonNode report = usage(TestTenants.key(tenant), "");
    assertEquals(start.toString(), report.get("from").asText());
    assertEquals(next.toString(), report.get("to").asText());
    assertEquals("day", report.get("group_by").asText());
    assertEquals(List.of(month.atDay(1).toString()), keys(report));
    assertSums(report.get("total"), 1, 10, 0, 0, "0.01", 0, "0");
  }

  @Test
  void aDateToIncludesItsDayWhileATimestampToIsExclusive() {
    String tenant = TestTenants.tenant("usage-bounds-" + System.nanoTime());
    LedgerRows.job(tenant, call("gpt-4o", "2026-04-10T23:59:59.999999Z", 1, 0, 0, "0"));
    LedgerRows.job(tenant, call("gpt-4o", "2026-04-11T00:00:00Z", 10, 0, 0, "0"));
    LedgerRows.job(tenant, call("gpt-4o", "2026-04-11T12:00:00Z", 100, 0, 0, "0"));
    LedgerRows.job(tenant, call("gpt-4o", "2026-04-12T00:00:00Z", 1000, 0, 0, "0"));
    String key = TestTenants.key(tenant);

    JsonNode oneDay = usage(key, "?from=2026-04-11&to=2026-04-11");
    assertEquals("2026-04-11T00:00:00Z", oneDay.get("from").asText());
    assertEquals("2026-04-12T00:00:00Z", oneDay.get("to").asText());
    assertEquals(110, oneDay.get("total").get("prompt_tokens").longValue());

    JsonNode halfDay = usage(key, "?from=2026-04-11T00:00:00Z&to=2026-04-11T12:00:00Z");
    assertEquals("2026-04-11T12:00:00Z", halfDay.get("to").asText());
    assertEquals(10, halfDay.get("total").get("prompt_tokens").longValue());

    JsonNode edges = usage(key, "?from=2026-04-10T23:59:59.999999Z&to=2026-04-12T00:00:00Z");
    assertEquals(List.of("2026-04-10", "2026-04-11"), keys(edges));
    assertEquals(111, edges.get("total").get("prompt_tokens").longValue());

    JsonNode offset =
        read(
            given()
                .header("Authorization", bearer(key))
                .queryParam("from", "2026-04-11T14:00:00+02:00")
                .queryParam("to", "2026-04-12")
                .get("/v1/usage")
                .then()
                .statusCode(200));
    assertEquals("2026-04-11T12:00:00Z", offset.get("from").asText());
    assertEquals("2026-04-13T00:00:00Z", offset.get("to").asText());
    assertEquals(1100, offset.get("total").get("prompt_tokens").longValue());

    // An unencoded '+' arrives as a space; before an offset it can only mean '+'.
    JsonNode unencoded =
        read(
            given()
                .urlEncodingEnabled(false)
                .header("Authorization", bearer(key))
                .get("/v1/usage?from=2026-04-11T14:00:00+02:00&to=2026-04-12")
                .then()
                .statusCode(200));
    assertEquals("2026-04-11T12:00:00Z", unencoded.get("from").asText());
  }

  @Test
  void aRangeWithoutRowsHasNoEntriesAndAZeroTotal() {
    String tenant = TestTenants.tenant("usage-empty-" + System.nanoTime());
    String body =
        given()
            .header("Authorization", bearer(TestTenants.key(tenant)))
            .get("/v1/usage?from=2026-05-01&to=2026-05-31")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertEquals(
        "{\"from\":\"2026-05-01T00:00:00Z\",\"to\":\"2026-06-01T00:00:00Z\",\"group_by\":\"day\","
            + "\"data\":[],\"total\":{\"requests\":0,\"prompt_tokens\":0,\"cached_tokens\":0,"
            + "\"completion_tokens\":0,\"cost_usd\":0,\"cache_hits\":0,\"cost_saved_usd\":0}}",
        body);
  }

  @Test
  void aTenantSeesOnlyItsOwnRowsAndTheAdminSeesEachTenantsOwn() {
    String mine = tenantWithAMarch();
    String theirs = TestTenants.tenant("usage-other-" + System.nanoTime());
    LedgerRows.job(theirs, call("gpt-4o-mini", "2026-03-04T10:00:00Z", 5, 0, 5, "7"));
    String range = "?from=2026-03-01&to=2026-03-31";

    JsonNode own = usage(TestTenants.key(mine), range);
    assertSums(own.get("total"), 5, 1308, 41, 304, "1.6125001235", 1, "0.0000001234");
    JsonNode other = usage(TestTenants.key(theirs), range);
    assertEquals(List.of("2026-03-04"), keys(other));
    assertSums(other.get("total"), 1, 5, 0, 5, "7", 0, "0");

    assertEquals(own, adminUsage(mine, range));
    assertEquals(other, adminUsage(theirs, range));
    assertEquals(
        usage(TestTenants.key(theirs), range + "&group_by=model"),
        adminUsage(theirs, range + "&group_by=model"));
  }

  @Test
  void aKeyWithoutUsageReadIsForbiddenAndOneWithItAloneMayRead() {
    String tenant = TestTenants.tenant("usage-scope-" + System.nanoTime());
    String jobsOnly = TestTenants.key(tenant, "jobs:read", "jobs:write");
    isProblem(
        given().header("Authorization", bearer(jobsOnly)).get("/v1/usage").then(),
        403,
        "forbidden");
    isProblem(given().get("/v1/usage").then(), 401, "unauthorized");
    isProblem(
        given().header("Authorization", "Bearer llmq_not-a-real-key").get("/v1/usage").then(),
        401,
        "unauthorized");

    String usageOnly = TestTenants.key(tenant, "usage:read");
    given().header("Authorization", bearer(usageOnly)).get("/v1/usage").then().statusCode(200);
  }

  @Test
  void theAdminReportNeedsTheAdminTokenAndAKnownTenant() {
    String tenant = TestTenants.tenant("usage-admin-" + System.nanoTime());
    String key = TestTenants.key(tenant);
    isProblem(
        given()
            .header("Authorization", bearer(key))
            .get("/v1/admin/tenants/" + tenant + "/usage")
            .then(),
        401,
        "unauthorized");
    isProblem(given().get("/v1/admin/tenants/" + tenant + "/usage").then(), 401, "unauthorized");
    isProblem(
        given()
            .header("Authorization", ADMIN)
            .get("/v1/admin/tenants/" + UUID.randomUUID() + "/usage")
            .then(),
        404,
        "not_found");
    isProblem(
        given().header("Authorization", ADMIN).get("/v1/admin/tenants/nope/usage").then(),
        404,
        "not_found");
    JsonNode empty = adminUsage(tenant, "?group_by=model");
    assertEquals(0, empty.get("data").size());
    assertEquals(0, empty.get("total").get("requests").longValue());
    // The tenant endpoints beside it are untouched.
    given()
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + tenant)
        .then()
        .statusCode(200)
        .body("id", equalTo(tenant));
  }

  @Test
  void badParametersAre400ProblemsOnBothEndpoints() {
    String tenant = TestTenants.tenant("usage-bad-" + System.nanoTime());
    String key = TestTenants.key(tenant);
    String[][] cases = {
      {"from=notadate", "'from' must be an RFC 3339 timestamp"},
      {"to=2026-13-01", "'to' must be an RFC 3339 timestamp"},
      {"from=2026-12-01T00:00:00", "'from' must be an RFC 3339 timestamp"},
      {"group_by=hour", "'group_by' must be day or model."},
      {"from=2026-03-02&to=2026-03-01", "must be before 'to'"},
      {"from=2026-03-01T10:00:00Z&to=2026-03-01T10:00:00Z", "must be before 'to'"},
      {"from=2026-01-01&to=2027-02-05", "is longer than 400 days"},
      {"from=2026-01-01&foo=1", "Unknown query parameter 'foo'"},
      {"group_by=day&group_by=model", "'group_by' may be given only once."},
      {"to=9999-12-31", "'to' must lie within the years 0001 to 9999."},
    };
    for (String[] bad : cases) {
      isProblem(
              given().header("Authorization", bearer(key)).get("/v1/usage?" + bad[0]).then(),
              400,
              "invalid_request")
          .body("detail", containsString(bad[1]));
      isProblem(
              given()
                  .header("Authorization", ADMIN)
                  .get("/v1/admin/tenants/" + tenant + "/usage?" + bad[0])
                  .then(),
              400,
              "invalid_request")
          .body("detail", containsString(bad[1]));
    }
    usage(key, "?from=2026-01-01&to=2027-02-04");
  }
}
