package io.llmq.api.tenant;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.ADMIN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

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
        .body("policies.fallbacks", equalTo("on"))
        .body("policies.injection_model", nullValue());
  }

  @Test
  void anInjectionModelThatCostsNothingIsSetKeptAndCleared() {
    String id =
        created(
            "{\"name\":\"classified\",\"policies\":{\"injection\":\"block\","
                + "\"injection_model\":\"llmq-sim\"}}");
    read(id)
        .body("policies.injection", equalTo("block"))
        .body("policies.injection_model", equalTo("llmq-sim"));

    // Unpriced models on an OpenAI-compatible provider (a self-hosted server) may classify too.
    patch(id, "{\"policies\":{\"injection_model\":\"limited-mini\"}}")
        .statusCode(200)
        .body("policies.injection_model", equalTo("limited-mini"));
    patch(id, "{\"policies\":{\"moderation\":\"flag\"}}").statusCode(200);
    read(id).body("policies.injection_model", equalTo("limited-mini"));

    patch(id, "{\"policies\":{\"injection_model\":null}}").statusCode(200);
    read(id)
        .body("policies.injection", equalTo("block"))
        .body("policies.injection_model", nullValue());

    patch(id, "{\"policies\":{\"injection_model\":\"small-window\"}}").statusCode(200);
    patch(id, "{\"policies\":null}").statusCode(200);
    read(id).body("policies.injection_model", nullValue());
  }

  static Stream<Arguments> badInjectionModels() {
    String field = "'policies.injection_model' ";
    return Stream.of(
        Arguments.of("42", field + "must be a model name or null."),
        Arguments.of("true", field + "must be a model name or null."),
        Arguments.of("[\"llmq-sim\"]", field + "must be a model name or null."),
        Arguments.of("\"no-such-model\"", field + "'no-such-model' is not a configured model."),
        Arguments.of("\"\"", field + "'' is not a configured model."),
        Arguments.of(
            "\"gpt-4o-mini\"",
            field
                + "'gpt-4o-mini' is a priced model: the classifier call is not metered, so only"
                + " models that cost nothing (the simulated provider's, or models without a"
                + " price) may classify."));
  }

  @ParameterizedTest
  @MethodSource("badInjectionModels")
  void aBadInjectionModelIs400NamingTheFieldAndChangesNothing(String value, String detail) {
    isProblem(
            post("{\"name\":\"bad\",\"policies\":{\"injection_model\":" + value + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));

    String id =
        created(
            "{\"name\":\"kept\",\"policies\":{\"injection\":\"flag\","
                + "\"injection_model\":\"llmq-sim\"}}");
    isProblem(
            patch(
                id,
                "{\"name\":\"changed\",\"policies\":{\"injection\":\"block\","
                    + "\"injection_model\":"
                    + value
                    + "}}"),
            400,
            "invalid_request")
        .body("detail", equalTo(detail));
    read(id)
        .body("name", equalTo("kept"))
        .body("policies.injection", equalTo("flag"))
        .body("policies.injection_model", equalTo("llmq-sim"));
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
            equalTo(
                "Unknown field 'policies.pii'. Allowed: fallbacks, injection, injection_model,"
                    + " moderation."));
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
