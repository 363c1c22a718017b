package io.llmq.simulator.anthropic;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.simulator.SseEvent;
import io.llmq.simulator.TestSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Structured answers: a forced Anthropic tool call is answered with a {@code tool_use} block whose
 * input satisfies the tool's schema (whole and streamed as {@code input_json_delta}), an OpenAI
 * {@code json_schema} or {@code json_object} format with JSON content, and {@code [[sim
 * output=...]]} breaks them on demand.
 */
@QuarkusTest
class StructuredAnswersTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Map<String, Object> SCHEMA =
      Map.of(
          "type",
          "object",
          "required",
          List.of("name", "age"),
          "properties",
          Map.of("name", Map.of("type", "string"), "age", Map.of("type", "integer")));

  @BeforeEach
  void noPacing() {
    TestSettings.fast();
  }

  private static Map<String, Object> forced(String prompt) {
    Map<String, Object> request = MessagesTest.request(prompt);
    request.put("tools", List.of(Map.of("name", "person", "input_schema", SCHEMA)));
    request.put("tool_choice", Map.of("type", "tool", "name", "person"));
    return request;
  }

  private static Response post(String path, Map<String, Object> body) {
    return given()
        .header("x-api-key", "key-" + UUID.randomUUID())
        .header("Authorization", "Bearer key-" + UUID.randomUUID())
        .header("anthropic-version", "2023-06-01")
        .contentType(ContentType.JSON)
        .body(body)
        .post(path);
  }

  @Test
  void aForcedToolIsAnsweredWithAToolUseThatFitsItsSchema() {
    Response response = post("/v1/messages", forced("Who?"));
    response
        .then()
        .statusCode(200)
        .body("content[0].type", equalTo("tool_use"))
        .body("content[0].name", equalTo("person"))
        .body("stop_reason", equalTo("tool_use"));
    Map<String, Object> input = response.path("content[0].input");
    assertTrue(input.get("name") instanceof String, input.toString());
    assertTrue(input.get("age") instanceof Integer, input.toString());
  }

  @Test
  void aStreamedToolUseSendsItsInputAsJsonDeltas() throws Exception {
    Map<String, Object> request = forced("Who?");
    JsonNode whole = JSON.valueToTree(post("/v1/messages", request).path("content[0].input"));
    request.put("stream", true);
    List<SseEvent> events = SseEvent.parse(post("/v1/messages", request).asString());
    StringBuilder partial = new StringBuilder();
    for (SseEvent event : events) {
      if ("content_block_start".equals(event.event())) {
        assertEquals("tool_use", event.json().path("content_block").path("type").asText());
      }
      if ("content_block_delta".equals(event.event())) {
        assertEquals("input_json_delta", event.json().path("delta").path("type").asText());
        partial.append(event.json().path("delta").path("partial_json").asText());
      }
    }
    assertEquals(whole, JSON.readTree(partial.toString()));
  }

  @Test
  void anInvalidOnceDirectiveBreaksTheFirstAnswerOnly() {
    Map<String, Object> request = forced("Who? [[sim output=invalid_once]]");
    Map<String, Object> broken = post("/v1/messages", request).path("content[0].input");
    assertFalse(broken.containsKey("name"), broken.toString());
    request.put(
        "messages",
        List.of(
            Map.of("role", "user", "content", "Who? [[sim output=invalid_once]]"),
            Map.of("role", "assistant", "content", broken.toString()),
            Map.of("role", "user", "content", "Fix: name is required")));
    Map<String, Object> fixed = post("/v1/messages", request).path("content[0].input");
    assertTrue(fixed.containsKey("name"), fixed.toString());
  }

  @Test
  void openAiFormatsAreAnsweredWithJsonContent() throws Exception {
    Map<String, Object> request = new HashMap<>();
    request.put("model", "gpt-4o-mini");
    request.put("messages", List.of(Map.of("role", "user", "content", "Who?")));
    request.put(
        "response_format",
        Map.of("type", "json_schema", "json_schema", Map.of("name", "p", "schema", SCHEMA)));
    String content = post("/v1/chat/completions", request).path("choices[0].message.content");
    JsonNode value = JSON.readTree(content);
    assertTrue(value.path("name").isTextual() && value.path("age").isInt(), content);

    request.put("response_format", Map.of("type", "json_object"));
    request.put("messages", List.of(Map.of("role", "user", "content", "x [[sim output=invalid]]")));
    String text = post("/v1/chat/completions", request).path("choices[0].message.content");
    assertThrows(JsonProcessingException.class, () -> JSON.readTree(text), text);
  }
}
