package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Context windows end to end (SPEC §3): the packaged api and worker, with gpt-4o-mini's real window
 * (128,000 tokens) and the simulator behind the OpenAI adapter. A trimmed job's provider call
 * carries only what was kept, as the usage the simulator counts on what it received shows; an
 * untrimmed one is refused at submit.
 */
class ContextWindowIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static LlmqProcesses system;
  private static String key;

  @BeforeAll
  static void start() {
    system = new LlmqProcesses();
    system.start();
    RestAssured.port = system.apiPort();
    String tenant =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "context"))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    key =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "context"))
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  /**
   * A conversation past gpt-4o-mini's window: a system prompt, a first turn of about 130,000 tokens
   * (a pasted document and its acknowledgement), and a short last question.
   */
  private static String body(String policy) {
    ObjectNode request = JSON.createObjectNode().put("model", "gpt-4o-mini").put("max_tokens", 50);
    ArrayNode messages = request.putArray("messages");
    messages.addObject().put("role", "system").put("content", "You are terse.");
    messages.addObject().put("role", "user").put("content", "word ".repeat(130_000));
    messages.addObject().put("role", "assistant").put("content", "Read it.");
    messages.addObject().put("role", "user").put("content", "Name a colour.");
    ObjectNode body = JSON.createObjectNode().put("cache", "bypass");
    body.set("request", request);
    if (policy != null) {
      body.put("context_policy", policy);
    }
    return body.toString();
  }

  private static ValidatableResponse submit(String body) {
    return given()
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then();
  }

  private static ValidatableResponse job(String id) {
    return given().header("Authorization", "Bearer " + key).get("/v1/jobs/" + id).then();
  }

  @Test
  void aTrimmedJobSendsTheProviderOnlyWhatWasKept() {
    String id =
        submit(body("trim"))
            .statusCode(202)
            .body("guardrails.trimmed_messages", equalTo(2))
            .extract()
            .path("id");

    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> "succeeded".equals(job(id).extract().path("status")));
    // The simulator counted the prompt it received: the system prompt and the last question.
    job(id)
        .body("usage.prompt_tokens", lessThan(100))
        .body("guardrails.trimmed_messages", equalTo(2))
        .body("served_by.model", equalTo("gpt-4o-mini"));
  }

  @Test
  void theSameConversationIsRefusedAtSubmitWithoutTrim() {
    String detail =
        submit(body(null))
            .statusCode(400)
            .contentType("application/problem+json")
            .body("code", equalTo("invalid_request"))
            .body("detail", containsString("but the context window of gpt-4o-mini is 128,000"))
            .extract()
            .path("detail");
    assertEquals(true, detail.contains("+ max_tokens 50)"), detail);
  }

  @Test
  void maxTokensAboveAClaudeModelsOutputLimitIsRefused() {
    submit(
            "{\"request\":{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64001,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"Hello\"}]}}")
        .statusCode(400)
        .contentType("application/problem+json")
        .body(
            "detail",
            equalTo(
                "'request.max_tokens' is 64,001 but claude-haiku-4-5 produces at most 64,000"
                    + " output tokens."));
  }
}
