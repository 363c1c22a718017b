package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.guardrails.Verdict;
import io.llmq.common.output.ResponseFormat;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Output validation with repair (SPEC §3 Guardrails) in the worker, against real PostgreSQL,
 * RabbitMQ and Redis, with the built-in simulator answering JSON built from the schema and breaking
 * it on {@code [[sim output=...]]}. Prices are the e2e test's ({@code OutputRepairIT}): the
 * built-in simulator costs nothing.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class OutputRepairTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String SCHEMA =
      "{\"type\":\"object\",\"required\":[\"city\",\"population\"],\"additionalProperties\":false,"
          + "\"properties\":{\"city\":{\"type\":\"string\"},\"population\":{\"type\":\"integer\","
          + "\"minimum\":1}}}";
  private static final String JSON_SCHEMA =
      ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"city\","
          + "\"schema\":"
          + SCHEMA
          + "}}";
  private static final String JSON_OBJECT = ",\"response_format\":{\"type\":\"json_object\"}";

  private final TestJobs jobs = new TestJobs();

  @Inject JobStore store;

  private Map<String, Object> awaitEnd(UUID job) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> List.of("succeeded", "failed").contains(jobs.status(job)));
    return jobs.row(job);
  }

  private List<Map<String, Object>> ledger(UUID job) {
    return jobs.rows(
        "SELECT attempt, outcome, error_code, settled FROM usage_ledger WHERE job_id = '"
            + job
            + "' ORDER BY attempt");
  }

  private static JsonNode content(Map<String, Object> row) throws Exception {
    JsonNode result = JSON.readTree(row.get("result").toString());
    return JSON.readTree(result.path("choices").path(0).path("message").path("content").asText());
  }

  private static JsonNode guardrails(Map<String, Object> row) throws Exception {
    return JSON.readTree(row.get("guardrails").toString());
  }

  @Test
  void aValidAnswerSucceedsWithoutARepair() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWith(tenant, "gpt-4o-mini", "Where?", 1, JSON_SCHEMA);
    jobs.publish(job, tenant);
    Map<String, Object> row = awaitEnd(job);
    assertEquals("succeeded", row.get("status"));
    assertEquals(1, row.get("attempts"));
    assertEquals(0, row.get("repairs"));
    JsonNode answer = content(row);
    assertTrue(answer.path("city").isTextual() && answer.path("population").asInt() >= 1);
  }

  @Test
  void aSchemaFailureIsRepairedWithoutSpendingAnAttempt() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queuedWith(
            tenant, "gpt-4o-mini", "Where? [[sim output=invalid_once]]", 1, JSON_SCHEMA);
    jobs.publish(job, tenant);
    Map<String, Object> row = awaitEnd(job);

    assertEquals("succeeded", row.get("status"), String.valueOf(row.get("error_message")));
    assertEquals(2, row.get("attempts"), "the repair is a second call");
    assertEquals(1, row.get("max_attempts"), "and it spent none of the job's attempts");
    assertEquals(1, row.get("repairs"));
    assertEquals(1, guardrails(row).path("repairs").asInt());
    assertTrue(content(row).has("city"));
    List<Map<String, Object>> attempts = ledger(job);
    assertEquals(2, attempts.size());
    assertEquals("failed", attempts.get(0).get("outcome"));
    assertEquals("invalid_output", attempts.get(0).get("error_code"));
    assertEquals("succeeded", attempts.get(1).get("outcome"));
    JsonNode repair = JSON.readTree(row.get("repair").toString());
    assertEquals(1, repair.size());
    String errors = repair.get(0).path("errors").toString();
    assertTrue(errors.contains("city"), errors);
  }

  @Test
  void anAnswerThatStaysInvalidFailsInvalidOutputWithItsErrors() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queuedWith(tenant, "gpt-4o-mini", "Where? [[sim output=invalid]]", 3, JSON_SCHEMA);
    jobs.publish(job, tenant);
    Map<String, Object> row = awaitEnd(job);

    assertEquals("failed", row.get("status"));
    assertEquals("invalid_output", row.get("error_code"));
    String message = row.get("error_message").toString();
    assertTrue(message.contains("after 1 repair"), message);
    assertTrue(message.contains("city"), message);
    assertNull(row.get("result"));
    assertEquals(2, row.get("attempts"));
    assertEquals(1, row.get("repairs"));
    assertEquals(2, ledger(job).size());
    assertTrue(jobs.deadLettered(job));
  }

  @Test
  void aJsonObjectAnswerThatDoesNotParseIsRepaired() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queuedWith(tenant, "gpt-4o-mini", "Any? [[sim output=invalid_once]]", 2, JSON_OBJECT);
    jobs.publish(job, tenant);
    Map<String, Object> row = awaitEnd(job);
    assertEquals("succeeded", row.get("status"));
    assertEquals(1, row.get("repairs"));
    assertTrue(content(row).isObject());
    String errors = JSON.readTree(row.get("repair").toString()).get(0).path("errors").toString();
    assertTrue(errors.contains("not valid JSON"), errors);

    UUID broken =
        jobs.queuedWith(tenant, "gpt-4o-mini", "Any? [[sim output=invalid]]", 2, JSON_OBJECT);
    jobs.publish(broken, tenant);
    Map<String, Object> failed = awaitEnd(broken);
    assertEquals("invalid_output", failed.get("error_code"));
    assertTrue(failed.get("error_message").toString().contains("not valid JSON"));
  }

  @Test
  void theRepairAsksWithTheInvalidAnswerAndItsErrors() throws Exception {
    // What the second attempt sends, as the executor builds it from the job's repair.
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queuedWith(tenant, "gpt-4o-mini", "Where? [[sim output=invalid]]", 1, JSON_SCHEMA);
    jobs.publish(job, tenant);
    awaitEnd(job);
    JsonNode entry = JSON.readTree(jobs.row(job).get("repair").toString()).get(0);
    ResponseFormat format =
        ResponseFormat.of(JSON.readTree("{\"response_format\":" + JSON_SCHEMA.substring(19) + "}"))
            .orElseThrow();
    assertTrue(!format.errorsOf(entry.path("answer").asText()).isEmpty());
  }

  @Test
  void aRepairKeepsWhatOtherGuardrailsRecorded() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queuedWith(
            tenant, "gpt-4o-mini", "Where? [[sim output=invalid_once]]", 1, JSON_SCHEMA);
    Verdict verdict =
        new Verdict(true, "local-rules", List.of("violence"), Map.of("violence", 0.9));
    store
        .recordGuardrails(job, Guardrails.NONE.withModeration(verdict))
        .await()
        .atMost(Duration.ofSeconds(5));
    jobs.publish(job, tenant);
    Map<String, Object> row = awaitEnd(job);
    assertEquals("succeeded", row.get("status"), String.valueOf(row.get("error_message")));
    JsonNode guardrails = guardrails(row);
    assertEquals(1, guardrails.path("repairs").asInt(), guardrails.toString());
    assertEquals("local-rules", guardrails.path("moderation").path("checker").asText());
  }
}
