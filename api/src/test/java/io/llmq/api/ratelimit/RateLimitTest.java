package io.llmq.api.ratelimit;

import static io.llmq.api.TestTenants.ADMIN;
import static io.llmq.api.TestTenants.bearer;
import static io.llmq.api.TestTenants.job;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.api.TestTenants;
import io.llmq.api.auth.ApiKeys;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.testing.TestServices;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Submit rate limits at the HTTP API: counts, refusals, headers, and what is (not) stored. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class RateLimitTest {

  @Inject MeterRegistry metrics;

  /** A fresh tenant with that requests_per_minute, and a key of it (every scope). */
  private record Limited(String tenant, String key) {}

  private static Limited tenantWithLimit(int requestsPerMinute) {
    String tenant = TestTenants.tenant("limited-" + System.nanoTime());
    given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body(Map.of("limits", Map.of("requests_per_minute", requestsPerMinute)))
        .patch("/v1/admin/tenants/" + tenant)
        .then()
        .statusCode(200)
        .body("limits.requests_per_minute", equalTo(requestsPerMinute));
    return new Limited(tenant, TestTenants.key(tenant));
  }

  /** Gives a key a limit of its own, in the database (the admin API for it is on its way). */
  private static void keyLimit(String key, int requestsPerMinute) throws SQLException {
    try (var db = db();
        var update =
            db.prepareStatement("UPDATE api_keys SET requests_per_minute = ? WHERE key_hash = ?")) {
      update.setInt(1, requestsPerMinute);
      update.setString(2, ApiKeys.hash(key));
      assertEquals(1, update.executeUpdate());
    }
  }

  private static ExtractableResponse<Response> submit(String key, String body) {
    return given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .extract();
  }

  private static ExtractableResponse<Response> submit(String key) {
    return submit(key, job("limited " + UUID.randomUUID()));
  }

  private static java.sql.Connection db() throws SQLException {
    TestServices services = TestServices.get();
    return DriverManager.getConnection(
        "jdbc:" + services.dbUrl(TestServices.testDatabase()),
        services.pgUser(),
        services.pgPassword());
  }

  /** How many jobs the tenant has, straight from the database. */
  private static int jobsOf(String tenant) throws SQLException {
    try (var db = db();
        var count = db.prepareStatement("SELECT count(*) FROM jobs WHERE tenant_id = ?")) {
      count.setObject(1, UUID.fromString(tenant));
      try (var rows = count.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }

  private static void assertRateLimited(ExtractableResponse<Response> refused) {
    assertEquals(429, refused.statusCode());
    assertTrue(refused.contentType().startsWith("application/problem+json"));
    assertEquals("urn:llmq:problem:rate_limited", refused.path("type"));
    assertEquals(429, (int) refused.path("status"));
    assertEquals("rate_limited", refused.path("code"));
  }

  private static void assertMatches(String regex, String actual) {
    assertTrue(actual != null && actual.matches(regex), actual + " does not match " + regex);
  }

  @Test
  void aBurstOfTheLimitIsAcceptedThenA429SaysWhenToRetryAndStoresNothing() throws SQLException {
    Limited caller = tenantWithLimit(5);
    for (int i = 0; i < 5; i++) {
      var accepted = submit(caller.key());
      assertEquals(202, accepted.statusCode(), "submit " + i);
      assertEquals("\"tenant\";q=5;w=60", accepted.header("RateLimit-Policy"));
      // t: until one more comes back, 12 s after the first of the burst
      assertMatches("\"tenant\";r=" + (4 - i) + ";t=1[12]", accepted.header("RateLimit"));
    }

    var refused = submit(caller.key());
    assertRateLimited(refused);
    // One submit comes back every 12 s; the first of the burst was counted moments ago.
    long retryAfter = Long.parseLong(refused.header("Retry-After"));
    assertTrue(retryAfter == 11 || retryAfter == 12, "Retry-After " + retryAfter);
    assertEquals("\"tenant\";r=0;t=" + retryAfter, refused.header("RateLimit"));
    assertEquals("\"tenant\";q=5;w=60", refused.header("RateLimit-Policy"));
    assertTrue(refused.<String>path("detail").contains("tenant's requests_per_minute"));
    assertEquals(5, jobsOf(caller.tenant()));

    double counted =
        metrics
            .get("llmq.submits.refused")
            .tag("reason", "rate_limited")
            .tag("tenant", caller.tenant())
            .counter()
            .count();
    assertEquals(1, counted);
  }

  @Test
  void theQuotaComesBackOneSubmitAtATimeAfterSixtyOverNSeconds() throws SQLException {
    Limited caller = tenantWithLimit(120);
    int accepted = 0;
    var answer = submit(caller.key());
    while (answer.statusCode() == 202 && accepted < 1_000) {
      accepted++;
      answer = submit(caller.key());
    }
    assertRateLimited(answer);
    assertTrue(accepted >= 120, "accepted " + accepted);
    assertEquals("1", answer.header("Retry-After"));

    // Half a second later one more is accepted, not a whole window's worth.
    var later =
        Awaitility.await()
            .atMost(Duration.ofSeconds(3))
            .pollInterval(Duration.ofMillis(25))
            .until(() -> submit(caller.key()), next -> next.statusCode() == 202);
    assertMatches("\"tenant\";r=[01];t=1", later.header("RateLimit"));
    assertEquals(accepted + 1, jobsOf(caller.tenant()));
  }

  @Test
  void aKeysOwnLimitAppliesOnTopOfItsTenants() throws SQLException {
    Limited caller = tenantWithLimit(10);
    String devKey = caller.key();
    keyLimit(devKey, 3);
    String otherKey = TestTenants.key(caller.tenant());

    for (int i = 0; i < 3; i++) {
      var accepted = submit(devKey);
      assertEquals(202, accepted.statusCode());
      assertEquals("\"tenant\";q=10;w=60, \"key\";q=3;w=60", accepted.header("RateLimit-Policy"));
      assertMatches(
          "\"tenant\";r=" + (9 - i) + ";t=[56], \"key\";r=" + (2 - i) + ";t=(19|20)",
          accepted.header("RateLimit"));
    }
    var refused = submit(devKey);
    assertRateLimited(refused);
    assertTrue(refused.<String>path("detail").contains("API key's"));
    long retryAfter = Long.parseLong(refused.header("Retry-After"));
    assertTrue(retryAfter == 19 || retryAfter == 20, "Retry-After " + retryAfter);
    // The key's refusal cost the tenant nothing: 7 of its 10 are left for its other keys.
    assertTrue(refused.header("RateLimit").startsWith("\"tenant\";r=7;"));

    for (int i = 0; i < 7; i++) {
      assertEquals(202, submit(otherKey).statusCode(), "other key's submit " + i);
    }
    assertRateLimited(submit(otherKey));
    assertEquals(10, jobsOf(caller.tenant()));
  }

  @Test
  void invalidSubmitsAreAnsweredBeforeTheLimiterAndCostNothing() {
    Limited caller = tenantWithLimit(2);
    String unknownModel =
        "{\"request\":{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}";
    for (int i = 0; i < 3; i++) {
      var invalid = submit(caller.key(), unknownModel);
      assertEquals(400, invalid.statusCode());
      assertEquals("\"tenant\";r=2;t=0", invalid.header("RateLimit"));
    }
    assertEquals(202, submit(caller.key()).statusCode());
    assertEquals(202, submit(caller.key()).statusCode());
    assertRateLimited(submit(caller.key()));
  }

  @Test
  void anIdempotentReplayCountsAsASubmit() {
    Limited caller = tenantWithLimit(2);
    String body = job("replayed");
    var first =
        given()
            .header("Authorization", bearer(caller.key()))
            .header("Idempotency-Key", "k1")
            .contentType(ContentType.JSON)
            .body(body)
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract();
    given()
        .header("Authorization", bearer(caller.key()))
        .header("Idempotency-Key", "k1")
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .statusCode(200)
        .header("RateLimit", org.hamcrest.Matchers.matchesRegex("\"tenant\";r=0;t=(29|30)"))
        .body("id", equalTo(first.path("id")));
    given()
        .header("Authorization", bearer(caller.key()))
        .header("Idempotency-Key", "k1")
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .statusCode(429)
        .header("Retry-After", org.hamcrest.Matchers.anyOf(equalTo("29"), equalTo("30")));
  }

  @Test
  void otherAnswersToALimitedCallerCarryTheHeadersAndCountNothing() {
    Limited caller = tenantWithLimit(5);
    String id = submit(caller.key()).path("id");
    for (int i = 0; i < 3; i++) {
      given()
          .header("Authorization", bearer(caller.key()))
          .get("/v1/jobs/" + id)
          .then()
          .statusCode(200)
          .header("RateLimit-Policy", "\"tenant\";q=5;w=60")
          .header("RateLimit", containsString("\"tenant\";r=4;t="));
    }
    given()
        .header("Authorization", bearer(caller.key()))
        .get("/v1/jobs/" + UUID.randomUUID())
        .then()
        .statusCode(404)
        .header("RateLimit", containsString("\"tenant\";r=4;t="));
    given()
        .header("Authorization", bearer(caller.key()))
        .get("/v1/tenant")
        .then()
        .statusCode(200)
        .header("RateLimit", containsString("\"tenant\";r=4;t="));
  }

  @Test
  void aSubmitAnsweredAfterAWaitCarriesTheLimitsAsTheyStandThen() {
    Limited caller = tenantWithLimit(5);
    var waited =
        given()
            .header("Authorization", bearer(caller.key()))
            .header("Prefer", "wait=1")
            .contentType(ContentType.JSON)
            .body(job("waits"))
            .post("/v1/jobs")
            .then()
            .extract();
    assertEquals(202, waited.statusCode());
    // Counted a second ago: the next comes back in 11 s (12 at the check).
    assertMatches("\"tenant\";r=4;t=(10|11)", waited.header("RateLimit"));
  }

  @Test
  void aCallerWithoutLimitsGetsNoRateLimitHeaders() {
    String key = TestTenants.freshKey();
    var accepted = submit(key);
    assertEquals(202, accepted.statusCode());
    assertNull(accepted.header("RateLimit"));
    assertNull(accepted.header("RateLimit-Policy"));
    String id = accepted.path("id");
    assertFalse(
        given()
            .header("Authorization", bearer(key))
            .get("/v1/jobs/" + id)
            .then()
            .statusCode(200)
            .extract()
            .headers()
            .hasHeaderWithName("RateLimit"));
  }
}
