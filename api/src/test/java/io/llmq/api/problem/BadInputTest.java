package io.llmq.api.problem;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed, oversized and hostile input: each gets a 4xx problem+json with a stable type, leaks
 * nothing, and creates no job.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class BadInputTest {

  private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  private String key;

  @BeforeEach
  void tenant() {
    key = TestTenants.freshKey();
  }

  private static ValidatableResponse isProblem(
      ValidatableResponse response, int status, String code) {
    return response
        .statusCode(status)
        .contentType("application/problem+json")
        .body("status", equalTo(status))
        .body("code", equalTo(code))
        .body("type", equalTo("urn:llmq:problem:" + code))
        .body("title", notNullValue())
        .body("detail", notNullValue())
        .body("request_id", notNullValue())
        .body(
            allOf(
                not(containsString("Exception")),
                not(containsString("java.")),
                not(containsString("io.llmq")),
                not(containsString("SELECT")),
                not(containsString("127.0.0.1"))));
  }

  private ValidatableResponse post(String body) {
    return given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then();
  }

  @Test
  void malformedAndMistypedSubmissionsAre400AndCreateNothing() {
    String[] bodies = {
      "{\"request\":",
      "not json",
      "[]",
      "null",
      "{}",
      "{\"request\":{}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[]}}",
      "{\"request\":{\"model\":\"no-such-model\"," + MESSAGES + "}}",
      "{\"request\":{\"model\":42," + MESSAGES + "}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\"}]}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[\"hi\"]}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"max_tokens\":\"ten\"}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"max_tokens\":0}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"temperature\":3}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"temperature\":1e400}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"max_tokens\":1e3}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\","
          + MESSAGES
          + ",\"seed\":123456789012345678901234567890}}",
      "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"stop\":[1]}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\","
          + MESSAGES
          + ",\"response_format\":{\"type\":\"xml\"}}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"tool_choice\":\"sometimes\"}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"logit_bias\":{}}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"max_attempts\":11}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"max_attempts\":0}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"deadline_seconds\":-5}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"cache\":\"sometimes\"}",
      "{\"request\":{\"model\":\"gpt-4o-mini\","
          + MESSAGES
          + "},\"webhook_url\":\"http://example.com/hook\"}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"webhook_url\":\"not a url\"}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"metadata\":{\"a\":1}}",
      "{\"request\":{\"model\":\"gpt-4o-mini\","
          + MESSAGES
          + "},\"metadata\":"
          + manyPairs(17)
          + "}",
      "{\"request\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + "},\"surprise\":true}"
    };
    for (String body : bodies) {
      isProblem(post(body), 400, "invalid_request");
    }
    given().header("Authorization", bearer(key)).get("/v1/jobs").then().body("data", hasSize(0));
  }

  @Test
  void extremeNumbersInsideFreeFormParametersAreStoredNotRejected() {
    given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\"gpt-4o-mini\","
                + MESSAGES
                + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"x\":1e400}}]}}")
        .post("/v1/jobs")
        .then()
        .statusCode(202);
  }

  @Test
  void anUnknownModelIsNamedInTheDetail() {
    isProblem(post("{\"request\":{\"model\":\"gpt-9\"," + MESSAGES + "}}"), 400, "invalid_request")
        .body("detail", containsString("gpt-9"));
  }

  @Test
  void anOverlongIdempotencyKeyIs400() {
    isProblem(
        given()
            .header("Authorization", bearer(key))
            .header("Idempotency-Key", "k".repeat(256))
            .contentType(ContentType.JSON)
            .body(TestTenants.job("x"))
            .post("/v1/jobs")
            .then(),
        400,
        "invalid_request");
  }

  @Test
  void aBodyUnderTheLimitIsReadHoweverLargeItIs() {
    // Past Quarkus REST's default input buffer (10 KiB), which once failed such bodies as
    // unreadable JSON: the limit is llmq.api.max-body-size (1 MiB), nothing smaller.
    String large =
        "{\"request\":{\"model\":\"llmq-sim\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + "word ".repeat(200_000)
            + "\"}]}}";
    post(large).statusCode(202).body("status", equalTo("queued"));
  }

  @Test
  void anOversizedBodyIs413BeforeItIsRead() {
    String huge = TestTenants.job("a".repeat(1_100_000));
    isProblem(post(huge), 413, "payload_too_large");
  }

  @Test
  void anOversizedChunkedBodyIs413WhileItIsRead() throws Exception {
    byte[] huge =
        TestTenants.job("a".repeat(1_100_000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(
                    "http://localhost:" + io.restassured.RestAssured.port + "/v1/jobs"))
            .header("Authorization", bearer(key))
            .header("Content-Type", "application/json")
            // A stream of unknown length goes out chunked, with no Content-Length.
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(huge)))
            .build();
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    org.junit.jupiter.api.Assertions.assertEquals(413, response.statusCode());
    org.junit.jupiter.api.Assertions.assertEquals(
        "application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    org.junit.jupiter.api.Assertions.assertTrue(
        response.body().contains("\"code\":\"payload_too_large\""));
  }

  @Test
  void frameworkErrorsAreProblemsToo() {
    isProblem(
        given().header("Authorization", bearer(key)).get("/v1/nowhere").then(), 404, "not_found");
    isProblem(
        given().header("Authorization", bearer(key)).delete("/v1/jobs").then(),
        405,
        "method_not_allowed");
    isProblem(
        given()
            .header("Authorization", bearer(key))
            .contentType(ContentType.TEXT)
            .body("hi")
            .post("/v1/jobs")
            .then(),
        415,
        "unsupported_media_type");
    isProblem(
        given().header("Authorization", bearer(key)).get("/v1/jobs/not-a-uuid").then(),
        404,
        "not_found");
    isProblem(given().get("/v1/jobs").then(), 401, "unauthorized");
  }

  @Test
  void everyAnswerCarriesARequestIdAndASaneOneIsEchoed() {
    given()
        .header("X-Request-Id", "trace-me-1")
        .get("/v1/nowhere")
        .then()
        .header("X-Request-Id", "trace-me-1")
        .body("request_id", equalTo("trace-me-1"));
    given()
        .header("X-Request-Id", "bad id with spaces\u0001")
        .get("/v1/jobs")
        .then()
        .header("X-Request-Id", not(containsString(" ")));
  }

  private static String manyPairs(int count) {
    StringBuilder pairs = new StringBuilder("{");
    for (int i = 0; i < count; i++) {
      pairs.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    return pairs.append('}').toString();
  }
}
