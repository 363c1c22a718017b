package io.llmq.api.tenant;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.ADMIN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A tenant's guardrail and fallback policies (SPEC §2 Auth {@code policies}) in the admin API. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class TenantPoliciesTest {

  @Test
  void aNewTenantScreensNothingAndMayFallBack() {
    String id = created("{\"name\":\"plain\"}");
    read(id)
        .body("policies.moderation", equalTo("off"))
        .body("policies.injection", equalTo("off"))
        .body("policies.fallbacks", equalTo("on"));
  }

  @Test
  void policiesAreSetPatchedOneByOneAndPutBackToTheirDefaults() {
    String id =
        created(
            "{\"name\":\"strict\",\"policies\":{\"moderation\":\"block\",\"injection\":\"flag\","
                + "\"fallbacks\":\"off\"}}");
    read(id)
        .body("policies.moderation", equalTo("block"))
        .body("policies.injection", equalTo("flag"))
        .body("policies.fallbacks", equalTo("off"));

    patch(id, "{\"policies\":{\"injection\":\"block\"}}").statusCode(200);
    read(id)
        .body("policies.moderation", equalTo("block"))
        .body("policies.injection", equalTo("block"))
        .body("policies.fallbacks", equalTo("off"));

    patch(id, "{\"policies\":{\"moderation\":null}}").statusCode(200);
    read(id)
        .body("policies.moderation", equalTo("off"))
        .body("policies.injection", equalTo("block"));

    patch(id, "{\"name\":\"renamed\"}").statusCode(200);
    read(id).body("policies.injection", equalTo("block"));

    patch(id, "{\"policies\":null}").statusCode(200);
    read(id)
        .body("policies.moderation", equalTo("off"))
        .body("policies.injection", equalTo("off"))
        .body("policies.fallbacks", equalTo("on"));
  }

  static Stream<Arguments> badPolicies() {
    List<Arguments> cases = new ArrayList<>();
    for (String field : List.of("moderation", "injection")) {
      for (String value :
          List.of("\"on\"", "\"BLOCK\"", "\"Flag\"", "\" off\"", "\"\"", "1", "true", "[]", "{}")) {
        cases.add(Arguments.of(field, value, "must be one of off, flag, block."));
      }
    }
    for (String value : List.of("\"flag\"", "\"ON\"", "\"yes\"", "true", "false", "0", "[]")) {
      cases.add(Arguments.of("fallbacks", value, "must be one of on, off."));
    }
    return cases.stream();
  }

  @ParameterizedTest
  @MethodSource("badPolicies")
  void aBadPolicyIs400NamingTheFieldAndChangesNothing(String field, String value, String why) {
    String detail = "'policies." + field + "' " + why;
    isProblem(
            post("{\"name\":\"bad\",\"policies\":{\"" + field + "\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));

    String id = created("{\"name\":\"kept\",\"policies\":{\"moderation\":\"flag\"}}");
    isProblem(
            patch(id, "{\"name\":\"changed\",\"policies\":{\"" + field + "\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));
    read(id).body("name", equalTo("kept")).body("policies.moderation", equalTo("flag"));
  }

  @Test
  void anUnknownPolicyOrAPoliciesValueThatIsNoObjectIs400() {
    isProblem(post("{\"name\":\"x\",\"policies\":{\"pii\":\"block\"}}"), 400, "invalid_request")
        .body(
            "detail",
            equalTo("Unknown field 'policies.pii'. Allowed: fallbacks, injection, moderation."));
    isProblem(post("{\"name\":\"x\",\"policies\":\"block\"}"), 400, "invalid_request")
        .body("detail", equalTo("'policies' must be an object."));
  }

  private static String created(String body) {
    return post(body).statusCode(201).extract().path("id");
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
        .header("Authorization", ADMIN)
        .get("/v1/admin/tenants/" + id)
        .then()
        .statusCode(200);
  }
}
