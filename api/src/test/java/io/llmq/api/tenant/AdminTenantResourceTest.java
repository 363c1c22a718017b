package io.llmq.api.tenant;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.ADMIN;
import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
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
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class AdminTenantResourceTest {

  @Test
  void createdTenantHasItsLimitsAndAStandardWebhooksSecret() {
    String id =
        given()
            .header("Authorization", ADMIN)
            .contentType(ContentType.JSON)
            .body(
                "{\"name\":\"acme\",\"limits\":{\"requests_per_minute\":60,\"monthly_budget_usd\":12.5}}")
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .header("Location", startsWith("http"))
            .body("name", equalTo("acme"))
            .body("limits.requests_per_minute", equalTo(60))
            .body("limits.tokens_per_minute", nullValue())
            .body("limits.monthly_budget_usd", equalTo(12.5f))
            .body("webhook_secret", matchesPattern("whsec_[A-Za-z0-9+/]{43}="))
            .extract()
            .path("id");

    given()
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200)
        .body("name", equalTo("acme"));
  }

  @Test
  void patchSetsAndClearsLimitsAndLeavesOthersAlone() {
    String id = TestTenants.tenant("patchable");
    given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body("{\"limits\":{\"tokens_per_minute\":1000,\"max_concurrent_jobs\":4}}")
        .patch("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200)
        .body("limits.tokens_per_minute", equalTo(1000));
    given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body("{\"name\":\"renamed\",\"limits\":{\"tokens_per_minute\":null}}")
        .patch("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200)
        .body("name", equalTo("renamed"))
        .body("limits.tokens_per_minute", nullValue())
        .body("limits.max_concurrent_jobs", equalTo(4));
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
        .body("id", equalTo(tenant));
    given()
        .header("Authorization", bearer(key))
        .get("/v1/tenant")
        .then()
        .body(not(org.hamcrest.Matchers.containsString(key)));

    given().header("Authorization", ADMIN).delete("/v1/admin/keys/" + keyId).then().statusCode(204);
    given().header("Authorization", bearer(key)).get("/v1/tenant").then().statusCode(401);
  }

  @Test
  void rotatingTheWebhookSecretReplacesIt() {
    String tenant = TestTenants.tenant("rotating");
    String before =
        given()
            .header("Authorization", ADMIN)
            .get("/v1/admin/tenants/" + tenant)
            .path("webhook_secret");
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
    given().get("/v1/admin/tenants").then().statusCode(401).body("code", equalTo("unauthorized"));
    given().header("Authorization", "Bearer wrong").get("/v1/admin/tenants").then().statusCode(401);
    String tenantKey = TestTenants.freshKey();
    given()
        .header("Authorization", bearer(tenantKey))
        .get("/v1/admin/tenants")
        .then()
        .statusCode(401);
  }

  @Test
  void badTenantBodiesAre400AndUnknownIdsAre404() {
    for (String body :
        new String[] {
          "{}",
          "{\"name\":\"\"}",
          "{\"name\":7}",
          "{\"name\":\"x\",\"extra\":1}",
          "{\"name\":\"x\",\"limits\":{\"requests_per_minute\":0}}",
          "{\"name\":\"x\",\"limits\":{\"requests_per_minute\":1.5}}",
          "{\"name\":\"x\",\"limits\":{\"monthly_budget_usd\":-1}}",
          "{\"name\":\"x\",\"limits\":{\"rpm\":1}}"
        }) {
      given()
          .header("Authorization", ADMIN)
          .contentType(ContentType.JSON)
          .body(body)
          .post("/v1/admin/tenants")
          .then()
          .statusCode(400)
          .contentType("application/problem+json")
          .body("code", equalTo("invalid_request"));
    }
    String tenant = TestTenants.tenant("scoped");
    given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body("{\"name\":\"k\",\"scopes\":[\"jobs:delete\"]}")
        .post("/v1/admin/tenants/" + tenant + "/keys")
        .then()
        .statusCode(400);
    given()
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + java.util.UUID.randomUUID())
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));
    given()
        .header("Authorization", ADMIN)
        .delete("/v1/admin/keys/not-a-uuid")
        .then()
        .statusCode(404);
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
