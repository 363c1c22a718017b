package io.llmq.simulator.anthropic;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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

@QuarkusTest
class MessagesTest {

  private static final String PATH = "/v1/messages";

  /** 48 characters: 4 + 12 tokens as a system prompt. */
  private static final String SYSTEM = "You are a careful assistant who answers briefly.";

  @BeforeEach
  void noPacing() {
    TestSettings.fast();
  }

  @Test
  void aMessageHasAnthropicsShape() {
    Map<String, Object> request = request("Hello there!");
    request.put("system", SYSTEM);

    Response response = post("key-" + UUID.randomUUID(), request);

    response
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .header("anthropic-ratelimit-requests-limit", "10000")
        .header("anthropic-ratelimit-tokens-remaining", notNullValue())
        .header("anthropic-ratelimit-tokens-reset", notNullValue())
        .body("id", startsWith("msg_"))
        .body("type", equalTo("message"))
        .body("role", equalTo("assistant"))
        .body("model", equalTo("claude-sonnet-4-5"))
        .body("content[0].type", equalTo("text"))
        .body("stop_reason", equalTo("end_turn"))
        .body("stop_sequence", nullValue())
        // system 4 + 12, user 4 + 3
        .body("usage.input_tokens", equalTo(23))
        .body("usage.cache_creation_input_tokens", equalTo(0))
        .body("usage.cache_read_input_tokens", equalTo(0));
    String text = response.path("content[0].text");
    assertEquals(text.split(" ").length, (int) response.path("usage.output_tokens"));
  }

  @Test
  void aStreamSendsAnthropicsEventsAndTheSameText() {
    Map<String, Object> request = request("Hello there!");
    request.put("max_tokens", 7);
    String text = post("key-" + UUID.randomUUID(), request).path("content[0].text");
    request.put("stream", true);

    Response response = post("key-" + UUID.randomUUID(), request);

    response.then().statusCode(200).contentType(startsWith("text/event-stream"));
    List<SseEvent> events = SseEvent.parse(response.asString());
    List<String> names = events.stream().map(SseEvent::event).toList();
    assertEquals(List.of("message_start", "content_block_start", "ping"), names.subList(0, 3));
    assertEquals(
        List.of("content_block_stop", "message_delta", "message_stop"),
        names.subList(names.size() - 3, names.size()));
    assertEquals(7, names.stream().filter("content_block_delta"::equals).count());
    events.forEach(event -> assertEquals(event.event(), event.json().path("type").asText()));
    JsonNode start = events.getFirst().json().path("message");
    assertEquals(7, start.at("/usage/input_tokens").asInt());
    assertEquals(1, start.at("/usage/output_tokens").asInt());
    assertEquals(0, start.at("/usage/cache_read_input_tokens").asInt());
    JsonNode delta = events.get(events.size() - 2).json();
    assertEquals("max_tokens", delta.at("/delta/stop_reason").asText());
    assertTrue(delta.at("/delta/stop_sequence").isNull());
    assertEquals(7, delta.at("/usage/output_tokens").asInt());
    StringBuilder streamed = new StringBuilder();
    events.stream()
        .filter(event -> "content_block_delta".equals(event.event()))
        .forEach(event -> streamed.append(event.json().at("/delta/text").asText()));
    assertEquals(text, streamed.toString());
  }

  @Test
  void aCachedPrefixIsWrittenOnceThenReadPerApiKey() {
    Map<String, Object> request = request("First question?");
    request.put(
        "system",
        List.of(
            Map.of("type", "text", "text", SYSTEM, "cache_control", Map.of("type", "ephemeral"))));
    String key = "key-" + UUID.randomUUID();

    post(key, request)
        .then()
        .statusCode(200)
        .body("usage.cache_creation_input_tokens", equalTo(16))
        .body("usage.cache_read_input_tokens", equalTo(0))
        .body("usage.input_tokens", equalTo(8));

    request.put("messages", List.of(Map.of("role", "user", "content", "Second, longer question?")));
    post(key, request)
        .then()
        .body("usage.cache_creation_input_tokens", equalTo(0))
        .body("usage.cache_read_input_tokens", equalTo(16))
        .body("usage.input_tokens", equalTo(10));

    post("key-" + UUID.randomUUID(), request)
        .then()
        .body("usage.cache_creation_input_tokens", equalTo(16))
        .body("usage.cache_read_input_tokens", equalTo(0));
  }

  @Test
  void aLaterBreakpointWritesOnlyWhatFollowsTheCachedPrefix() {
    Map<String, Object> cached = Map.of("type", "ephemeral");
    Map<String, Object> request = request("unused");
    request.put("system", List.of(Map.of("type", "text", "text", SYSTEM, "cache_control", cached)));
    String key = "key-" + UUID.randomUUID();
    post(key, request).then().body("usage.cache_creation_input_tokens", equalTo(16));

    request.put(
        "messages",
        List.of(
            Map.of(
                "role",
                "user",
                "content",
                List.of(
                    Map.of("type", "text", "text", "Sixteen chars...", "cache_control", cached))),
            Map.of("role", "user", "content", "Next")));

    post(key, request)
        .then()
        .body("usage.cache_read_input_tokens", equalTo(16))
        .body("usage.cache_creation_input_tokens", equalTo(8))
        .body("usage.input_tokens", equalTo(5));
  }

  @Test
  void theStreamReportsCacheUsageInMessageStart() {
    Map<String, Object> request = request("A question?");
    request.put(
        "system", List.of(Map.of("type", "text", "text", SYSTEM, "cache_control", Map.of())));
    request.put("stream", true);
    String key = "key-" + UUID.randomUUID();
    post(key, request);

    JsonNode start = SseEvent.parse(post(key, request).asString()).getFirst().json();

    assertEquals(16, start.at("/message/usage/cache_read_input_tokens").asInt());
    assertEquals(0, start.at("/message/usage/cache_creation_input_tokens").asInt());
  }

  @Test
  void theSameConversationGetsTheSameTextFromEitherApi() {
    String anthropic = post("key", request("Same words?")).path("content[0].text");
    String openAi =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "model",
                    "claude-sonnet-4-5",
                    "messages",
                    List.of(Map.of("role", "user", "content", "Same words?"))))
            .post("/v1/chat/completions")
            .path("choices[0].message.content");

    assertEquals(openAi, anthropic);
  }

  @Test
  void aRequestWithoutMaxTokensIsA400InAnthropicsFormat() {
    Map<String, Object> request = request("Hello");
    request.remove("max_tokens");

    post("key", request)
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .header("anthropic-ratelimit-tokens-limit", "2000000")
        .body("type", equalTo("error"))
        .body("error.type", equalTo("invalid_request_error"))
        .body("error.message", equalTo("max_tokens: Field required"));
  }

  @Test
  void aRequestWithoutMessagesIsA400InAnthropicsFormat() {
    post("key", Map.of("model", "claude-sonnet-4-5", "max_tokens", 10))
        .then()
        .statusCode(400)
        .body("type", equalTo("error"))
        .body("error.type", equalTo("invalid_request_error"));
  }

  @Test
  void aBodyThatIsNotJsonIsA400InAnthropicsFormat() {
    given()
        .contentType(ContentType.JSON)
        .body("[1, 2")
        .post(PATH)
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .body("type", equalTo("error"))
        .body("error.type", equalTo("invalid_request_error"));
  }

  static Map<String, Object> request(String prompt) {
    Map<String, Object> request = new HashMap<>();
    request.put("model", "claude-sonnet-4-5");
    request.put("max_tokens", 1024);
    request.put("messages", List.of(Map.of("role", "user", "content", prompt)));
    return request;
  }

  private static Response post(String apiKey, Map<String, Object> body) {
    return given()
        .header("x-api-key", apiKey)
        .header("anthropic-version", "2023-06-01")
        .contentType(ContentType.JSON)
        .body(body)
        .post(PATH);
  }
}
