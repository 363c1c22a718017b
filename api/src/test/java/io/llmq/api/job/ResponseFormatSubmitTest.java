package io.llmq.api.job;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

/**
 * What submit checks of a {@code response_format} (SPEC §3 Guardrails) and of parameters Anthropic
 * models cannot take (issue 14 item 3): a schema that is not a valid JSON Schema, {@code n} above 1
 * for an Anthropic model, and a JSON format that a forced tool call cannot carry are 400s naming
 * the field, and no job is stored.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class ResponseFormatSubmitTest {

  private static final String PERSON =
      "{\"type\":\"object\",\"required\":[\"name\"],"
          + "\"properties\":{\"name\":{\"type\":\"string\"}}}";

  private static String body(String model, String extra) {
    return "{\"request\":{\"model\":\""
        + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
        + extra
        + "}}";
  }

  private static String schemaFormat(String schema) {
    return ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\","
        + "\"schema\":"
        + schema
        + "}}";
  }

  private static ValidatableResponse post(String key, String body) {
    return given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then();
  }

  @Test
  void aValidSchemaIsAccepted() {
    String key = TestTenants.freshKey();
    post(key, body("gpt-4o-mini", schemaFormat(PERSON))).statusCode(202);
    post(key, body("claude-haiku-4-5", schemaFormat(PERSON))).statusCode(202);
    post(key, body("gpt-4o-mini", ",\"response_format\":{\"type\":\"json_object\"},\"n\":2"))
        .statusCode(202);
  }

  @Test
  void aSchemaThatIsNotAValidJsonSchemaIs400() {
    String key = TestTenants.freshKey();
    isProblem(
            post(key, body("gpt-4o-mini", schemaFormat("{\"type\":\"strin\"}"))),
            400,
            "invalid_request")
        .body("detail", containsString("'request.response_format.json_schema.schema'"))
        .body("detail", containsString("not a valid JSON Schema"));
    isProblem(
            post(key, body("gpt-4o-mini", schemaFormat("{\"required\":\"name\"}"))),
            400,
            "invalid_request")
        .body("detail", containsString("not a valid JSON Schema"));
    isProblem(post(key, body("gpt-4o-mini", schemaFormat("[1]"))), 400, "invalid_request")
        .body("detail", containsString("must be a JSON object"));
    isProblem(
            post(
                key,
                body(
                    "gpt-4o-mini",
                    schemaFormat("{\"$ref\":\"https://schemas.example.com/person.json\"}"))),
            400,
            "invalid_request")
        .body("detail", containsString("'request.response_format.json_schema.schema'"));
    assertEquals(0, jobsOfTenant(key));
  }

  @Test
  void moreThanOneChoiceForAnAnthropicModelIs400() {
    String key = TestTenants.freshKey();
    isProblem(post(key, body("claude-haiku-4-5", ",\"n\":2")), 400, "invalid_request")
        .body("detail", containsString("'request.n'"))
        .body("detail", containsString("claude-haiku-4-5"));
    post(key, body("claude-haiku-4-5", ",\"n\":1")).statusCode(202);
  }

  @Test
  void anAnthropicJsonFormatWithToolsOrANonObjectSchemaIs400() {
    String key = TestTenants.freshKey();
    String tools =
        ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"look\","
            + "\"parameters\":{\"type\":\"object\"}}}]";
    isProblem(
            post(key, body("claude-haiku-4-5", schemaFormat(PERSON) + tools)),
            400,
            "invalid_request")
        .body("detail", containsString("'request.tools'"));
    isProblem(
            post(key, body("claude-haiku-4-5", schemaFormat("{\"type\":\"array\"}"))),
            400,
            "invalid_request")
        .body("detail", containsString("\"type\": \"object\""));
    assertEquals(0, jobsOfTenant(key));
  }

  private static int jobsOfTenant(String key) {
    return given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs")
        .then()
        .statusCode(200)
        .extract()
        .path("data.size()");
  }
}
