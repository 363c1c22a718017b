package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Output validation with repair as a user meets it (SPEC §3 Guardrails, issue 14 item 3): the
 * packaged api and worker, the simulator standing in for OpenAI and Anthropic (so prices are real:
 * gpt-4o at $2.50 / $10 per million tokens). A schema failure is repaired, and one that stays
 * invalid fails {@code invalid_output}; either way both calls are in the ledger and in the job's
 * {@code cost_usd}, and the month's spend. An Anthropic {@code json_schema} job goes through the
 * forced tool call, and repairs the same way.
 */
class OutputRepairIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String SCHEMA =
      "{\"type\":\"object\",\"required\":[\"city\",\"population\"],\"additionalProperties\":false,"
          + "\"properties\":{\"city\":{\"type\":\"string\"},\"population\":{\"type\":\"integer\","
          + "\"minimum\":1}}}";

  private static LlmqProcesses system;

  @BeforeAll
  static void start() {
    system = new LlmqProcesses();
    system.start(1);
    RestAssured.port = system.apiPort();
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  @BeforeEach
  void fastUpstream() {
    system.simulator("{\"time_to_first_token\":20,\"tokens_per_second\":2000,\"error_rate\":0}");
  }

  private static String schemaFormat() {
    return "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"city\",\"schema\":"
        + SCHEMA
        + "}}";
  }

  @Test
  void aSchemaFailureIsRepairedAndBothCallsAreCounted() throws Exception {
    String key = key();
    JsonNode job =
        run(
            key,
            "gpt-4o",
            "Name a city. [[sim output=invalid_once]] " + UUID.randomUUID(),
            schemaFormat());

    assertEquals("succeeded", job.path("status").asText(), job.toString());
    assertEquals(1, job.path("guardrails").path("repairs").asInt(), job.toString());
    assertEquals(2, job.path("attempts").asInt());
    JsonNode answer = JSON.readTree(content(job));
    assertTrue(answer.path("city").isTextual() && answer.path("population").asInt() >= 1);

    List<Map<String, Object>> ledger = ledger(job);
    assertEquals(2, ledger.size(), ledger.toString());
    assertEquals("failed", ledger.get(0).get("outcome"));
    assertEquals("invalid_output", ledger.get(0).get("error_code"));
    assertEquals("succeeded", ledger.get(1).get("outcome"));
    BigDecimal first = (BigDecimal) ledger.get(0).get("cost_usd");
    BigDecimal second = (BigDecimal) ledger.get(1).get("cost_usd");
    assertTrue(first.signum() > 0 && second.signum() > 0, ledger.toString());
    assertEquals(
        0, first.add(second).compareTo(job.path("cost_usd").decimalValue()), job.toString());
    // The repair asks again with the invalid answer and the errors: a longer prompt.
    assertTrue(
        (Integer) ledger.get(1).get("prompt_tokens") > (Integer) ledger.get(0).get("prompt_tokens"),
        ledger.toString());
    assertEquals(0, first.add(second).compareTo(spent(key)), "the month's spend counts both");
    assertTrue(metric("llmq_guardrails_repaired_total") >= 1);
  }

  @Test
  void anAnswerThatStaysInvalidFailsInvalidOutputAndCostsBothCalls() throws Exception {
    String key = key();
    JsonNode job =
        run(
            key,
            "gpt-4o",
            "Name a city. [[sim output=invalid]] " + UUID.randomUUID(),
            schemaFormat());

    assertEquals("failed", job.path("status").asText(), job.toString());
    assertEquals("invalid_output", job.path("error").path("code").asText());
    String message = job.path("error").path("message").asText();
    assertTrue(message.contains("after 1 repair") && message.contains("city"), message);
    assertTrue(job.path("result").isNull());
    assertEquals(1, job.path("guardrails").path("repairs").asInt());

    List<Map<String, Object>> ledger = ledger(job);
    assertEquals(2, ledger.size(), ledger.toString());
    BigDecimal total =
        ((BigDecimal) ledger.get(0).get("cost_usd"))
            .add((BigDecimal) ledger.get(1).get("cost_usd"));
    assertTrue(total.signum() > 0);
    assertEquals(0, total.compareTo(job.path("cost_usd").decimalValue()), job.toString());
    assertEquals(0, total.compareTo(spent(key)));
    assertTrue(metric("llmq_guardrails_invalid_total") >= 1);
  }

  @Test
  void aJsonObjectAnswerThatDoesNotParseFailsAfterItsRepair() throws Exception {
    JsonNode job =
        run(
            key(),
            "gpt-4o",
            "Anything. [[sim output=invalid]] " + UUID.randomUUID(),
            "{\"type\":\"json_object\"}");
    assertEquals("invalid_output", job.path("error").path("code").asText(), job.toString());
    assertTrue(job.path("error").path("message").asText().contains("not valid JSON"));
    assertEquals(2, ledger(job).size());
  }

  @Test
  void anAnthropicJsonSchemaJobIsAnsweredThroughAForcedToolCall() throws Exception {
    String key = key();
    JsonNode job =
        run(key, "claude-haiku-4-5", "Name a city. " + UUID.randomUUID(), schemaFormat());
    assertEquals("succeeded", job.path("status").asText(), job.toString());
    assertEquals("anthropic", job.path("served_by").path("provider").asText());
    JsonNode answer = JSON.readTree(content(job));
    assertTrue(
        answer.path("city").isTextual() && answer.path("population").asInt() >= 1,
        answer.toString());
    assertEquals(0, job.path("guardrails").path("repairs").asInt(0));
    assertTrue(job.path("cost_usd").decimalValue().signum() > 0);

    JsonNode repaired =
        run(
            key,
            "claude-haiku-4-5",
            "Name a city. [[sim output=invalid_once]] " + UUID.randomUUID(),
            schemaFormat());
    assertEquals("succeeded", repaired.path("status").asText(), repaired.toString());
    assertEquals(1, repaired.path("guardrails").path("repairs").asInt());
    assertEquals(2, ledger(repaired).size());
  }

  /** Submits a job and waits for its end. */
  private static JsonNode run(String key, String model, String prompt, String format)
      throws Exception {
    String body =
        "{\"request\":{\"model\":\""
            + model
            + "\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":"
            + JSON.writeValueAsString(prompt)
            + "}],\"response_format\":"
            + format
            + "}}";
    String id =
        given()
            .header("Authorization", "Bearer " + key)
            .contentType(ContentType.JSON)
            .body(body)
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    for (int i = 0; i < 6; i++) {
      String answer =
          given()
              .header("Authorization", "Bearer " + key)
              .get("/v1/jobs/" + id + "?wait_seconds=30")
              .then()
              .statusCode(200)
              .extract()
              .asString();
      JsonNode job = JSON.readTree(answer);
      if (List.of("succeeded", "failed").contains(job.path("status").asText())) {
        return job;
      }
    }
    throw new AssertionError("job " + id + " did not end");
  }

  private static String content(JsonNode job) {
    return job.path("result").path("choices").path(0).path("message").path("content").asText();
  }

  private static List<Map<String, Object>> ledger(JsonNode job) {
    return system.rows(
        "SELECT attempt, outcome, error_code, cost_usd, prompt_tokens FROM usage_ledger"
            + " WHERE job_id = '"
            + job.path("id").asText()
            + "' ORDER BY attempt");
  }

  private static BigDecimal spent(String key) {
    return new BigDecimal(
        given()
            .header("Authorization", "Bearer " + key)
            .get("/v1/tenant")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getString("spent_usd"));
  }

  private static double metric(String name) {
    double sum = 0;
    for (int port : system.workerPorts()) {
      String text = given().port(port).get("/q/metrics").then().extract().asString();
      sum +=
          text.lines()
              .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
              .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
              .sum();
    }
    return sum;
  }

  /** A key of a new tenant with a budget, so that the month's spend is kept. */
  private static String key() {
    String name = "repair-" + UUID.randomUUID().toString().substring(0, 8);
    String id =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name, "limits", Map.of("monthly_budget_usd", 5)))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    return given()
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(Map.of("name", name))
        .post("/v1/admin/tenants/" + id + "/keys")
        .then()
        .statusCode(201)
        .extract()
        .path("key");
  }
}
