package io.llmq.api.tenant;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.ADMIN;
import static io.llmq.api.TestTenants.bearer;
import static io.llmq.api.tenant.AdminTenantResourceTest.EXACT;
import static io.llmq.api.tenant.AdminTenantResourceTest.amount;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.api.TestSql;
import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The admin's key endpoints: a key's own limits, merge patches, the key list, 404s and 400s. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class AdminKeyResourceTest {

  private static ValidatableResponse createKey(String tenant, String body) {
    return given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/admin/tenants/" + tenant + "/keys")
        .then();
  }

  private static ValidatableResponse patchKey(String keyId, String contentType, String body) {
    return given()
        .config(EXACT)
        .header("Authorization", ADMIN)
        .contentType(contentType)
        .body(body)
        .patch("/v1/admin/keys/" + keyId)
        .then();
  }

  private static ValidatableResponse patchKey(String keyId, String body) {
    return patchKey(keyId, "application/json", body);
  }

  private static ValidatableResponse readKey(String keyId) {
    return given()
        .config(EXACT)
        .header("Authorization", ADMIN)
        .get("/v1/admin/keys/" + keyId)
        .then()
        .statusCode(200);
  }

  @Test
  void aNewKeyShowsItsLimitsAndTheKeyOnlyOnce() {
    String tenant = TestTenants.tenant("limited keys");
    var created =
        createKey(
                tenant,
                "{\"name\":\"dev\",\"limits\":{\"requests_per_minute\":30,"
                    + "\"monthly_budget_usd\":2.5}}")
            .statusCode(201)
            .body("limits.requests_per_minute", equalTo(30))
            .body("limits.monthly_budget_usd", equalTo(2.5f))
            .body("scopes", equalTo(List.of("jobs:read", "jobs:write", "usage:read")))
            .extract();
    String keyId = created.path("id");
    String key = created.path("key");
    Map<String, Object> body = created.path("$");
    assertEquals(Set.of("id", "key", "prefix", "scopes", "limits", "created_at"), body.keySet());
    assertEquals(key.substring(0, 12), created.path("prefix"));
    assertTrue(created.header("Location").endsWith("/v1/admin/keys/" + keyId));

    readKey(keyId)
        .body("id", equalTo(keyId))
        .body("tenant_id", equalTo(tenant))
        .body("name", equalTo("dev"))
        .body("limits.requests_per_minute", equalTo(30))
        .body("limits.monthly_budget_usd", amount("2.5"))
        .body("revoked_at", nullValue())
        .body("$", not(hasKey("key")))
        .body(not(containsString(key)));
    assertEquals(
        List.of("30 2.500000"),
        TestSql.column(
            "SELECT requests_per_minute || ' ' || monthly_budget_usd FROM api_keys WHERE id = ?",
            UUID.fromString(keyId)));
    // The key works, its limits notwithstanding.
    given().header("Authorization", bearer(key)).get("/v1/tenant").then().statusCode(200);
  }

  @Test
  void aKeyWithoutLimitsHasNoneAndABudgetOfZeroIsAllowed() {
    String tenant = TestTenants.tenant("plain keys");
    createKey(tenant, "{\"name\":\"plain\"}")
        .statusCode(201)
        .body("limits", hasKey("requests_per_minute"))
        .body("limits.requests_per_minute", nullValue())
        .body("limits.monthly_budget_usd", nullValue());
    createKey(tenant, "{\"name\":\"unset\",\"limits\":null}")
        .statusCode(201)
        .body("limits.monthly_budget_usd", nullValue());
    createKey(tenant, "{\"name\":\"nothing to spend\",\"limits\":{\"monthly_budget_usd\":0}}")
        .statusCode(201)
        .body("limits.monthly_budget_usd", equalTo(0))
        .body("limits.requests_per_minute", nullValue());
  }

  @Test
  void patchingAKeysLimitsSetsKeepsAndRemovesLikeAMergePatch() {
    String tenant = TestTenants.tenant("patched keys");
    String keyId =
        createKey(tenant, "{\"name\":\"ci\",\"scopes\":[\"jobs:read\"]}")
            .statusCode(201)
            .extract()
            .path("id");

    patchKey(keyId, "{\"limits\":{\"requests_per_minute\":10}}")
        .statusCode(200)
        .contentType("application/json")
        .body("id", equalTo(keyId))
        .body("name", equalTo("ci"))
        .body("scopes", equalTo(List.of("jobs:read")))
        .body("limits.requests_per_minute", equalTo(10))
        .body("limits.monthly_budget_usd", nullValue())
        .body("prefix", notNullValue())
        .body("$", not(hasKey("key")));
    patchKey(
            keyId,
            "application/merge-patch+json",
            "{\"name\":\"ci-2\",\"limits\":{\"monthly_budget_usd\":0.125}}")
        .statusCode(200)
        .body("name", equalTo("ci-2"))
        .body("limits.requests_per_minute", equalTo(10))
        .body("limits.monthly_budget_usd", amount("0.125"));
    patchKey(keyId, "{}").statusCode(200).body("limits.requests_per_minute", equalTo(10));
    patchKey(keyId, "{\"limits\":{\"requests_per_minute\":null}}")
        .statusCode(200)
        .body("limits.requests_per_minute", nullValue())
        .body("limits.monthly_budget_usd", amount("0.125"));
    patchKey(keyId, "{\"limits\":{\"requests_per_minute\":5}}").statusCode(200);
    patchKey(keyId, "{\"limits\":null}")
        .statusCode(200)
        .body("name", equalTo("ci-2"))
        .body("limits.requests_per_minute", nullValue())
        .body("limits.monthly_budget_usd", nullValue());
    readKey(keyId).body("limits.requests_per_minute", nullValue());
    assertEquals(
        List.of("none"),
        TestSql.column(
            "SELECT coalesce(requests_per_minute::text, monthly_budget_usd::text, 'none')"
                + " FROM api_keys WHERE id = ?",
            UUID.fromString(keyId)));
  }

  @Test
  void unknownOrMalformedKeyIdsAre404AndARevokedKeyCannotBeChanged() {
    for (String unknown : new String[] {UUID.randomUUID().toString(), "not-a-uuid", "1"}) {
      isProblem(patchKey(unknown, "{\"name\":\"x\"}"), 404, "not_found")
          .body("detail", equalTo("No API key with this id."));
      isProblem(
          given().header("Authorization", ADMIN).get("/v1/admin/keys/" + unknown).then(),
          404,
          "not_found");
      isProblem(
          given().header("Authorization", ADMIN).delete("/v1/admin/keys/" + unknown).then(),
          404,
          "not_found");
      isProblem(createKey(unknown, "{\"name\":\"x\"}"), 404, "not_found")
          .body("detail", equalTo("No tenant with this id."));
      isProblem(
          given()
              .header("Authorization", ADMIN)
              .get("/v1/admin/tenants/" + unknown + "/keys")
              .then(),
          404,
          "not_found");
    }
    String keyId =
        createKey(TestTenants.tenant("revoked keys"), "{\"name\":\"old\"}")
            .statusCode(201)
            .extract()
            .path("id");
    given().header("Authorization", ADMIN).delete("/v1/admin/keys/" + keyId).then().statusCode(204);
    isProblem(patchKey(keyId, "{\"limits\":{\"requests_per_minute\":1}}"), 409, "conflict");
    readKey(keyId)
        .body("revoked_at", notNullValue())
        .body("limits.requests_per_minute", nullValue());
    isProblem(
        given()
            .header("Authorization", bearer(TestTenants.freshKey()))
            .get("/v1/admin/keys/" + keyId)
            .then(),
        401,
        "unauthorized");
  }

  @Test
  void theKeyListShowsEveryKeyWithoutSecretsRevokedOnesIncluded() {
    String tenant = TestTenants.tenant("listed keys");
    List<String> ids = new ArrayList<>();
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      var created = createKey(tenant, "{\"name\":\"k" + i + "\"}").statusCode(201).extract();
      ids.add(created.path("id"));
      secrets.add(created.path("key"));
    }
    given()
        .header("Authorization", ADMIN)
        .delete("/v1/admin/keys/" + ids.get(1))
        .then()
        .statusCode(204);
    createKey(TestTenants.tenant("someone else"), "{\"name\":\"theirs\"}").statusCode(201);

    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      var page =
          given()
              .header("Authorization", ADMIN)
              .queryParam("limit", 2)
              .queryParams(cursor == null ? Map.of() : Map.of("after", cursor))
              .get("/v1/admin/tenants/" + tenant + "/keys")
              .then()
              .statusCode(200)
              .body("data.tenant_id", everyItem(equalTo(tenant)))
              .body("data.findAll { it.containsKey('key') }", empty());
      for (String secret : secrets) {
        page.body(not(containsString(secret)));
      }
      seen.addAll(page.extract().path("data.id"));
      cursor = page.extract().path("next_cursor");
    } while (cursor != null);
    assertEquals(ids, seen);

    given()
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + tenant + "/keys")
        .then()
        .statusCode(200)
        .body("next_cursor", nullValue())
        .body("data[1].revoked_at", notNullValue())
        .body("data[0].revoked_at", nullValue())
        .body("data[0].name", equalTo("k0"));
    isProblem(
        given()
            .header("Authorization", ADMIN)
            .get("/v1/admin/tenants/" + tenant + "/keys?limit=0")
            .then(),
        400,
        "invalid_request");
  }

  /** The tenant's bad limits of the fields a key has (no tokens, slots or share weight). */
  static Stream<Arguments> badKeyLimits() {
    return AdminTenantResourceTest.badLimits()
        .filter(args -> !"tokens_per_minute".equals(args.get()[0]))
        .filter(args -> !"max_concurrent_jobs".equals(args.get()[0]))
        .filter(args -> !"share_weight".equals(args.get()[0]));
  }

  @ParameterizedTest
  @MethodSource("badKeyLimits")
  void aBadKeyLimitIs400NamingTheFieldAndChangesNothing(String field, String value, String why) {
    String tenant = TestTenants.tenant("strict keys");
    String detail = "'limits." + field + "' " + why;
    isProblem(
            createKey(tenant, "{\"name\":\"bad\",\"limits\":{\"" + field + "\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));
    String keyId =
        createKey(tenant, "{\"name\":\"kept\",\"limits\":{\"" + field + "\":3}}")
            .statusCode(201)
            .extract()
            .path("id");
    isProblem(
            patchKey(keyId, "{\"name\":\"changed\",\"limits\":{\"" + field + "\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));
    readKey(keyId).body("name", equalTo("kept")).body("limits." + field, amount("3"));
    given()
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + tenant + "/keys")
        .then()
        .body("data.size()", equalTo(1));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"limits\":{\"tokens_per_minute\":5}}",
        "{\"limits\":{\"max_concurrent_jobs\":5}}",
        "{\"limits\":{\"rpm\":5}}",
        "{\"limits\":5}",
        "{\"limits\":[]}",
        "{\"scopes\":[\"jobs:read\"]}",
        "{\"key\":\"llmq_mine\"}",
        "{\"name\":null}",
        "{\"name\":\"\"}",
        "{\"name\":7}",
        "[]",
        "\"x\"",
      })
  void aBadKeyPatchIs400(String body) {
    String keyId =
        createKey(TestTenants.tenant("patch refusals"), "{\"name\":\"k\"}")
            .statusCode(201)
            .extract()
            .path("id");
    isProblem(patchKey(keyId, body), 400, "invalid_request");
    readKey(keyId).body("name", equalTo("k"));
  }

  @Test
  void aKeyPatchInAnotherMediaTypeIs415() {
    String keyId =
        createKey(TestTenants.tenant("media"), "{\"name\":\"k\"}")
            .statusCode(201)
            .extract()
            .path("id");
    isProblem(patchKey(keyId, "text/plain", "{\"name\":\"x\"}"), 415, "unsupported_media_type");
  }
}
