package io.llmq.api.tenant;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.ADMIN;
import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.api.TestSql;
import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.webhook.WebhookTargets;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.JsonConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.http.ContentType;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.response.ValidatableResponse;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.hamcrest.Description;
import org.hamcrest.Matcher;
import org.hamcrest.TypeSafeMatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The admin's tenant endpoints: limits, the budget alert target, this month's spend, pagination,
 * and a 400 naming the field for every bad value.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class AdminTenantResourceTest {

  /** A public address literal: passes the SSRF guard without DNS (this machine has none). */
  private static final String PUBLIC_HOOK = "https://93.184.216.34/alerts";

  /** The current UTC month, as the ledger and budget rows store it. */
  private static final String THIS_MONTH = "(date_trunc('month', now() AT TIME ZONE 'UTC'))::date";

  /** Numbers with a fraction read as BigDecimal, so amounts compare exactly. */
  static final RestAssuredConfig EXACT =
      RestAssured.config()
          .jsonConfig(
              JsonConfig.jsonConfig()
                  .numberReturnType(JsonPathConfig.NumberReturnType.BIG_DECIMAL));

  /** A JSON number equal to this decimal, however it is written ({@code 1.5}, {@code 1.50}). */
  static Matcher<Object> amount(String expected) {
    return new TypeSafeMatcher<>() {
      @Override
      protected boolean matchesSafely(Object actual) {
        return actual instanceof Number
            && new BigDecimal(actual.toString()).compareTo(new BigDecimal(expected)) == 0;
      }

      @Override
      public void describeTo(Description description) {
        description.appendText("a number equal to " + expected);
      }
    };
  }

  private static ValidatableResponse post(String body) {
    return given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/admin/tenants")
        .then();
  }

  private static ValidatableResponse patch(String id, String body) {
    return given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body(body)
        .patch("/v1/admin/tenants/" + id)
        .then();
  }

  private static ValidatableResponse read(String id) {
    return given()
        .config(EXACT)
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200);
  }

  @Test
  void createdTenantHasItsLimitsAndAStandardWebhooksSecret() {
    String id =
        post("{\"name\":\"acme\",\"limits\":{\"requests_per_minute\":60,\"monthly_budget_usd\":12.5}}")
            .statusCode(201)
            .header("Location", startsWith("http"))
            .body("name", equalTo("acme"))
            .body("limits.requests_per_minute", equalTo(60))
            .body("limits", hasKey("tokens_per_minute"))
            .body("limits.tokens_per_minute", nullValue())
            .body("limits.monthly_budget_usd", equalTo(12.5f))
            .body("webhook_secret", matchesPattern("whsec_[A-Za-z0-9+/]{43}="))
            .body("$", hasKey("alert_webhook_url"))
            .body("alert_webhook_url", nullValue())
            .body("spent_usd", equalTo(0))
            .body("reserved_usd", equalTo(0))
            .extract()
            .path("id");

    read(id).body("name", equalTo("acme")).body("spent_usd", amount("0"));
  }

  @Test
  void patchSetsAndClearsLimitsAndLeavesOthersAlone() {
    String id = TestTenants.tenant("patchable");
    patch(id, "{\"limits\":{\"tokens_per_minute\":1000,\"max_concurrent_jobs\":4}}")
        .statusCode(200)
        .body("limits.tokens_per_minute", equalTo(1000));
    patch(id, "{\"name\":\"renamed\",\"limits\":{\"tokens_per_minute\":null}}")
        .statusCode(200)
        .body("name", equalTo("renamed"))
        .body("limits.tokens_per_minute", nullValue())
        .body("limits.max_concurrent_jobs", equalTo(4));
    // Merge patch: an empty body changes nothing, "limits": null removes every limit.
    patch(id, "{}").statusCode(200).body("limits.max_concurrent_jobs", equalTo(4));
    given()
        .header("Authorization", ADMIN)
        .contentType("application/merge-patch+json")
        .body("{\"limits\":null}")
        .patch("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200)
        .body("name", equalTo("renamed"))
        .body("limits.max_concurrent_jobs", nullValue());
    isProblem(patch(id, "{\"name\":null}"), 400, "invalid_request")
        .body("detail", equalTo("'name' cannot be removed."));
    isProblem(patch(id, "{\"name\":\" \"}"), 400, "invalid_request");
  }

  @Test
  void aKeyIsShownOnceWorksAtOnceAndStopsWorkingWhenRevoked() {
    String tenant = TestTenants.tenant("keyed");
    var created =
        given()
            .header("Authorization", ADMIN)
            .contentType(ContentType.JSON)
            .body("{\"name\":\"ci\",\"scopes\":[\"jobs:read\"]}")
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then()
            .statusCode(201)
            .body("key", startsWith("llmq_"))
            .body("scopes", equalTo(List.of("jobs:read")))
            .extract();
    String key = created.path("key");
    String keyId = created.path("id");

    given()
        .header("Authorization", bearer(key))
        .get("/v1/tenant")
        .then()
        .statusCode(200)
        .body("id", equalTo(tenant))
        .body(not(containsString(key)));

    given().header("Authorization", ADMIN).delete("/v1/admin/keys/" + keyId).then().statusCode(204);
    given().header("Authorization", bearer(key)).get("/v1/tenant").then().statusCode(401);
  }

  /**
   * A share weight is never absent: 1 on a new tenant, and back to 1 when the admin removes it,
   * alone or with every limit. The worker reads the column with each job.
   */
  @Test
  void theShareWeightIsOneUntilSetAndOneAgainWhenRemoved() {
    String plain = TestTenants.tenant("unweighted");
    read(plain).body("limits.share_weight", amount("1"));
    assertEquals(List.of("1"), weightOf(plain));

    String id =
        post("{\"name\":\"weighted\",\"limits\":{\"share_weight\":2.5,\"tokens_per_minute\":900}}")
            .statusCode(201)
            .body("limits.share_weight", equalTo(2.5f))
            .extract()
            .path("id");
    assertEquals(List.of("2.5"), weightOf(id));
    // Other limits change without it, and it changes without them.
    patch(id, "{\"limits\":{\"tokens_per_minute\":1000}}")
        .statusCode(200)
        .body("limits.share_weight", equalTo(2.5f));
    patch(id, "{\"limits\":{\"share_weight\":0.25}}")
        .statusCode(200)
        .body("limits.share_weight", equalTo(0.25f))
        .body("limits.tokens_per_minute", equalTo(1000));
    String key = TestTenants.key(id, "jobs:read");
    given()
        .config(EXACT)
        .header("Authorization", bearer(key))
        .get("/v1/tenant")
        .then()
        .statusCode(200)
        .body("limits.share_weight", amount("0.25"));
    listed(id).body("limits.share_weight", amount("0.25"));

    patch(id, "{\"limits\":{\"share_weight\":null}}")
        .statusCode(200)
        .body("limits.share_weight", equalTo(1))
        .body("limits.tokens_per_minute", equalTo(1000));
    assertEquals(List.of("1"), weightOf(id));

    patch(id, "{\"limits\":{\"share_weight\":40}}").statusCode(200);
    given()
        .header("Authorization", ADMIN)
        .contentType("application/merge-patch+json")
        .body("{\"limits\":null}")
        .patch("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200)
        .body("limits.share_weight", equalTo(1))
        .body("limits.tokens_per_minute", nullValue());
    assertEquals(List.of("1"), weightOf(id));
  }

  /** A key has no share of its own: the weight is its tenant's. */
  @Test
  void aKeyHasNoShareWeight() {
    String tenant = TestTenants.tenant("keyweight");
    isProblem(
            given()
                .header("Authorization", ADMIN)
                .contentType(ContentType.JSON)
                .body("{\"name\":\"k\",\"limits\":{\"share_weight\":2}}")
                .post("/v1/admin/tenants/" + tenant + "/keys")
                .then(),
            400,
            "invalid_request")
        .body("detail", startsWith("Unknown field 'limits.share_weight'."));
  }

  private static List<String> weightOf(String id) {
    return TestSql.column(
        "SELECT share_weight::text FROM tenants WHERE id = ?", UUID.fromString(id));
  }

  @Test
  void rotatingTheWebhookSecretReplacesIt() {
    String tenant = TestTenants.tenant("rotating");
    String before = read(tenant).extract().path("webhook_secret");
    String after =
        given()
            .header("Authorization", ADMIN)
            .post("/v1/admin/tenants/" + tenant + "/webhook-secret")
            .then()
            .statusCode(200)
            .extract()
            .path("webhook_secret");
    assertNotEquals(before, after);
  }

  @Test
  void adminEndpointsRefuseMissingOrWrongTokensAndTenantKeys() {
    isProblem(given().get("/v1/admin/tenants").then(), 401, "unauthorized");
    isProblem(
        given().header("Authorization", "Bearer wrong").get("/v1/admin/tenants").then(),
        401,
        "unauthorized");
    String tenantKey = TestTenants.freshKey();
    isProblem(
        given().header("Authorization", bearer(tenantKey)).get("/v1/admin/tenants").then(),
        401,
        "unauthorized");
  }

  @Test
  void badTenantBodiesAre400AndUnknownIdsAre404() {
    for (String body :
        new String[] {
          "{}",
          "[]",
          "{\"name\":\"\"}",
          "{\"name\":7}",
          "{\"name\":\"x\",\"extra\":1}",
          "{\"name\":\"x\",\"limits\":5}",
          "{\"name\":\"x\",\"limits\":[]}",
          "{\"name\":\"x\",\"limits\":{\"rpm\":1}}",
          "{\"name\":\"x\",\"limits\":{\"share\":1}}"
        }) {
      isProblem(post(body), 400, "invalid_request");
    }
    isProblem(post("{\"name\":\"x\",\"limits\":{\"rpm\":1}}"), 400, "invalid_request")
        .body("detail", startsWith("Unknown field 'limits.rpm'."));
    String tenant = TestTenants.tenant("scoped");
    isProblem(
        given()
            .header("Authorization", ADMIN)
            .contentType(ContentType.JSON)
            .body("{\"name\":\"k\",\"scopes\":[\"jobs:delete\"]}")
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then(),
        400,
        "invalid_request");
    for (String unknown : new String[] {UUID.randomUUID().toString(), "not-a-uuid"}) {
      isProblem(
          given().header("Authorization", ADMIN).get("/v1/admin/tenants/" + unknown).then(),
          404,
          "not_found");
      isProblem(patch(unknown, "{\"name\":\"x\"}"), 404, "not_found");
    }
  }

  /** Limits that are not a sensible count or amount, each with what the 400 says about it. */
  static Stream<Arguments> badLimits() {
    List<Arguments> cases = new ArrayList<>();
    for (String field :
        List.of("requests_per_minute", "tokens_per_minute", "max_concurrent_jobs")) {
      for (String value : List.of("-1", "0", "1000000001", "99999999999999999999999")) {
        cases.add(Arguments.of(field, value, "must be between 1 and 1000000000."));
      }
      for (String value : List.of("1.5", "1.0", "1e3", "1e400", "\"10\"", "true", "[]", "{}")) {
        cases.add(Arguments.of(field, value, "must be an integer."));
      }
    }
    String budget = "monthly_budget_usd";
    for (String value : List.of("-1", "-0.000001", "1000000000.000001", "1e400", "-1e400")) {
      cases.add(Arguments.of(budget, value, "must be between 0 and 1000000000."));
    }
    for (String value : List.of("\"10\"", "true", "false", "[]", "{}")) {
      cases.add(Arguments.of(budget, value, "must be a number."));
    }
    for (String value : List.of("0.0000001", "1e-400")) {
      cases.add(Arguments.of(budget, value, "may have at most 6 decimal places."));
    }
    String weight = "share_weight";
    for (String value :
        List.of("0", "-1", "0.009", "1e-400", "1000.000001", "1e4", "1e400", "-1e400")) {
      cases.add(Arguments.of(weight, value, "must be between 0.01 and 1000."));
    }
    for (String value : List.of("\"2\"", "true", "false", "[]", "{}")) {
      cases.add(Arguments.of(weight, value, "must be a number."));
    }
    return cases.stream();
  }

  @ParameterizedTest
  @MethodSource("badLimits")
  void aBadLimitIs400NamingTheFieldAndChangesNothing(String field, String value, String why) {
    String detail = "'limits." + field + "' " + why;
    isProblem(
            post("{\"name\":\"bad\",\"limits\":{\"" + field + "\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));

    String id = TestTenants.tenant("kept");
    patch(id, "{\"limits\":{\"" + field + "\":7}}").statusCode(200);
    isProblem(
            patch(id, "{\"name\":\"changed\",\"limits\":{\"" + field + "\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));
    read(id).body("name", equalTo("kept")).body("limits." + field, amount("7"));
  }

  @ParameterizedTest
  @CsvSource({
    "requests_per_minute, 1",
    "requests_per_minute, 1000000000",
    "max_concurrent_jobs, 1",
    "monthly_budget_usd, 0",
    "monthly_budget_usd, 0.000001",
    "monthly_budget_usd, 1000000000",
    "monthly_budget_usd, 1e9",
    "monthly_budget_usd, 12.50000000",
    "share_weight, 0.01",
    "share_weight, 0.5",
    "share_weight, 1000",
    "share_weight, 1e3",
    "share_weight, 2.50",
  })
  void limitsAtTheirBoundsAreAccepted(String field, String value) {
    String id =
        post("{\"name\":\"edge\",\"limits\":{\"" + field + "\":" + value + "}}")
            .statusCode(201)
            .extract()
            .path("id");
    read(id).body("limits." + field, amount(value));
  }

  /** NaN and Infinity are not JSON; the parser refuses them before any field is read. */
  @ParameterizedTest
  @ValueSource(strings = {"NaN", "Infinity", "-Infinity", "+1", "01", ".5"})
  void numbersThatAreNotJsonAre400(String value) {
    isProblem(
            post("{\"name\":\"x\",\"limits\":{\"monthly_budget_usd\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", containsString("JSON"));
  }

  @Test
  void theAlertWebhookUrlIsSetKeptAndRemoved() {
    String id =
        post("{\"name\":\"alerted\",\"alert_webhook_url\":\"" + PUBLIC_HOOK + "\"}")
            .statusCode(201)
            .body("alert_webhook_url", equalTo(PUBLIC_HOOK))
            .extract()
            .path("id");
    patch(id, "{\"name\":\"still alerted\"}")
        .statusCode(200)
        .body("alert_webhook_url", equalTo(PUBLIC_HOOK));
    String key = TestTenants.key(id, "jobs:read");
    given()
        .header("Authorization", bearer(key))
        .get("/v1/tenant")
        .then()
        .statusCode(200)
        .body("alert_webhook_url", equalTo(PUBLIC_HOOK));
    patch(id, "{\"alert_webhook_url\":\"https://93.184.216.35/other\"}")
        .statusCode(200)
        .body("alert_webhook_url", equalTo("https://93.184.216.35/other"));
    patch(id, "{\"alert_webhook_url\":null}")
        .statusCode(200)
        .body("alert_webhook_url", nullValue());
    assertEquals(
        List.of(""),
        TestSql.column(
            "SELECT coalesce(alert_webhook_url, '') FROM tenants WHERE id = ?",
            UUID.fromString(id)));
  }

  /** The api's test profile keeps the SSRF guard on, as production has it. */
  @ParameterizedTest
  @CsvSource({
    "https://127.0.0.1/alerts, 'points to a loopback address, which webhooks may not target'",
    "https://localhost/alerts, 'points to a loopback address, which webhooks may not target'",
    "https://[::1]/alerts, 'points to a loopback address, which webhooks may not target'",
    "https://10.0.0.5/alerts, 'points to a private address, which webhooks may not target'",
    "https://192.168.1.20/alerts, 'points to a private address, which webhooks may not target'",
    "https://169.254.169.254/latest, 'points to a cloud metadata address, which webhooks may not target'",
    "http://93.184.216.34/alerts, must be an absolute https URL",
    "ftp://93.184.216.34/alerts, must be an absolute https URL",
    "not a url, is not a valid URL",
    "https://user:pw@93.184.216.34/alerts, must not carry credentials",
  })
  void anAlertWebhookUrlThatIsNotAPublicHttpsTargetIs400(String url, String why) {
    String detail = "'alert_webhook_url' " + why + ".";
    isProblem(
            post("{\"name\":\"x\",\"alert_webhook_url\":\"" + url + "\"}"), 400, "invalid_request")
        .body("detail", equalTo(detail));
    String id =
        post("{\"name\":\"guarded\",\"alert_webhook_url\":\"" + PUBLIC_HOOK + "\"}")
            .statusCode(201)
            .extract()
            .path("id");
    isProblem(patch(id, "{\"alert_webhook_url\":\"" + url + "\"}"), 400, "invalid_request")
        .body("detail", equalTo(detail));
    read(id).body("alert_webhook_url", equalTo(PUBLIC_HOOK));
  }

  @Test
  void anAlertWebhookUrlMustBeAString() {
    for (String value : new String[] {"7", "true", "{}", "[]", "\"\""}) {
      isProblem(
              post("{\"name\":\"x\",\"alert_webhook_url\":" + value + "}"), 400, "invalid_request")
          .body("detail", startsWith("'alert_webhook_url' "));
    }
    String longUrl = "https://93.184.216.34/" + "a".repeat(2100);
    isProblem(
            post("{\"name\":\"x\",\"alert_webhook_url\":\"" + longUrl + "\"}"),
            400,
            "invalid_request")
        .body("detail", equalTo("'alert_webhook_url' is longer than 2048 characters."));
  }

  /** With {@code llmq.webhooks.allow-insecure}, as in development, plain http to a local host. */
  @Test
  void anInsecureAlertWebhookUrlIsAcceptedWhenTheGuardIsLifted() {
    QuarkusMock.installMockForType(
        new WebhookTargets(true, InetAddress::getAllByName), WebhookTargets.class);
    post("{\"name\":\"dev\",\"alert_webhook_url\":\"http://127.0.0.1:9000/alerts\"}")
        .statusCode(201)
        .body("alert_webhook_url", equalTo("http://127.0.0.1:9000/alerts"));
  }

  @Test
  void spentAndReservedAreThisMonthsSettledLedgerAndTheBudgetRowsReservations() {
    String id = TestTenants.tenant("spender");
    UUID tenant = UUID.fromString(id);
    read(id).body("spent_usd", amount("0")).body("reserved_usd", amount("0"));

    ledger(tenant, "0.25", true, THIS_MONTH);
    ledger(tenant, "0.0000012345", true, THIS_MONTH);
    ledger(tenant, "5", false, THIS_MONTH); // still running: not spent
    ledger(tenant, "7", true, "(" + THIS_MONTH + " - interval '1 month')::date"); // last month
    ledger(UUID.randomUUID(), "9", true, THIS_MONTH); // another tenant
    read(id).body("spent_usd", amount("0.2500012345")).body("reserved_usd", amount("0"));
    String key = TestTenants.key(id, "jobs:read");
    given()
        .config(EXACT)
        .header("Authorization", bearer(key))
        .get("/v1/tenant")
        .then()
        .statusCode(200)
        .body("spent_usd", amount("0.2500012345"));

    // Once the tenant has a budget row, that row is the truth, reservations included.
    TestSql.update(
        "INSERT INTO budget_months (scope, scope_id, month, spent_usd, reserved_usd)"
            + " VALUES ('tenant', ?, "
            + THIS_MONTH
            + ", 1.5, 0.125)",
        tenant);
    read(id).body("spent_usd", amount("1.5")).body("reserved_usd", amount("0.125"));
    listed(id).body("spent_usd", amount("1.5")).body("reserved_usd", amount("0.125"));
  }

  private static void ledger(UUID tenant, String cost, boolean settled, String month) {
    TestSql.update(
        "INSERT INTO usage_ledger (tenant_id, job_id, attempt, kind, model, cost_usd, settled,"
            + " outcome, started_at, month)"
            + " VALUES (?, ?, 1, 'call', 'gpt-4o-mini', ?::numeric, ?, ?, now(), "
            + month
            + ")",
        tenant,
        UUID.randomUUID(),
        cost,
        settled,
        settled ? "succeeded" : "running");
  }

  /** The tenant as the list shows it, found by paging through every tenant. */
  private static ValidatableResponse listed(String id) {
    String cursor = null;
    do {
      var page =
          given()
              .config(EXACT)
              .header("Authorization", ADMIN)
              .queryParam("limit", 100)
              .queryParams(cursor == null ? Map.of() : Map.of("after", cursor))
              .get("/v1/admin/tenants")
              .then()
              .statusCode(200);
      List<String> ids = page.extract().path("data.id");
      int at = ids.indexOf(id);
      if (at >= 0) {
        return page.rootPath("data[" + at + "]");
      }
      cursor = page.extract().path("next_cursor");
    } while (cursor != null);
    throw new AssertionError("tenant " + id + " is not listed");
  }

  @Test
  void theListPagesThroughEveryTenantOldestFirstWithoutGapsOrRepeats() {
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      made.add(TestTenants.tenant("paged-" + i));
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      var page =
          given()
              .header("Authorization", ADMIN)
              .queryParam("limit", 3)
              .queryParams(cursor == null ? Map.of() : Map.of("after", cursor))
              .get("/v1/admin/tenants")
              .then()
              .statusCode(200)
              .extract();
      List<String> ids = page.path("data.id");
      assertTrue(ids.size() <= 3, "a page holds at most limit tenants");
      seen.addAll(ids);
      cursor = page.path("next_cursor");
      pages++;
    } while (cursor != null);

    List<String> all = TestSql.column("SELECT id FROM tenants ORDER BY created_at, id");
    assertEquals(all, seen);
    assertEquals(seen.size(), new HashSet<>(seen).size());
    assertEquals(made, seen.subList(seen.size() - 5, seen.size()));
    assertTrue(pages >= 2);

    // The default page holds 20; the last page says there is no next one.
    given()
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants")
        .then()
        .statusCode(200)
        .body("data.size()", equalTo(Math.min(20, all.size())))
        .body("next_cursor", all.size() > 20 ? not(nullValue()) : nullValue());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=x",
        "limit=1.5",
        "after=!!",
        "after=bm90LWEtY3Vyc29y"
      })
  void aBadLimitOrCursorIs400(String query) {
    isProblem(
        given().header("Authorization", ADMIN).get("/v1/admin/tenants?" + query).then(),
        400,
        "invalid_request");
  }
}
