package io.llmq.simulator.openai;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.simulator.SseEvent;
import io.llmq.simulator.TestSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ChatCompletionsTest {

  private static final String PATH = "/v1/chat/completions";

  @BeforeEach
  void noPacing() {
    TestSettings.fast();
  }

  @Test
  void aCompletionHasOpenAisShapeAndCountsPromptTokensPerMessage() {
    Response response =
        post(
            Map.of(
                "model",
                "gpt-4o-mini",
                "messages",
                List.of(
                    Map.of("role", "system", "content", "You are terse."),
                    Map.of(
                        "role",
                        "user",
                        "content",
                        List.of(Map.of("type", "text", "text", "Say something now.."))))));

    response
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .header("x-ratelimit-limit-requests", "10000")
        .header("x-ratelimit-remaining-tokens", notNullValue())
        .header("x-ratelimit-reset-tokens", notNullValue())
        .body("id", startsWith("chatcmpl-"))
        .body("object", equalTo("chat.completion"))
        .body("created", greaterThan(0))
        .body("model", equalTo("gpt-4o-mini"))
        .body("choices[0].index", equalTo(0))
        .body("choices[0].message.role", equalTo("assistant"))
        .body("choices[0].finish_reason", equalTo("stop"))
        // 4 + ceil(14 / 4) and 4 + ceil(19 / 4)
        .body("usage.prompt_tokens", equalTo(8 + 9));
    String content = response.path("choices[0].message.content");
    int words = content.split(" ").length;
    assertTrue(words >= 20 && words <= 200, "natural length: " + words);
    assertEquals(words, (int) response.path("usage.completion_tokens"));
    assertEquals(17 + words, (int) response.path("usage.total_tokens"));
  }

  @Test
  void aStreamSendsARoleChunkOneChunkPerTokenAFinishChunkUsageAndDone() {
    Map<String, Object> request = request("Tell me a story.");
    String content = post(request).path("choices[0].message.content");

    request.put("stream", true);
    request.put("stream_options", Map.of("include_usage", true));
    Response response = post(request);
    response.then().statusCode(200).contentType(startsWith("text/event-stream"));
    List<SseEvent> events = SseEvent.parse(response.asString());

    assertEquals("[DONE]", events.getLast().data());
    JsonNode first = events.getFirst().json();
    assertEquals("chat.completion.chunk", first.path("object").asText());
    assertEquals("assistant", first.at("/choices/0/delta/role").asText());
    JsonNode usage = events.get(events.size() - 2).json();
    assertTrue(usage.path("choices").isEmpty());
    assertEquals(content.split(" ").length, usage.at("/usage/completion_tokens").asInt());
    assertEquals(8, usage.at("/usage/prompt_tokens").asInt());
    JsonNode finish = events.get(events.size() - 3).json();
    assertEquals("stop", finish.at("/choices/0/finish_reason").asText());
    StringBuilder streamed = new StringBuilder();
    for (SseEvent event : events.subList(1, events.size() - 3)) {
      streamed.append(event.json().at("/choices/0/delta/content").asText());
    }
    assertEquals(content, streamed.toString());
  }

  @Test
  void aStreamWithoutIncludeUsageHasNoUsageChunk() {
    Map<String, Object> request = request("Tell me a story.");
    request.put("stream", true);
    List<SseEvent> events = SseEvent.parse(post(request).asString());

    assertEquals("[DONE]", events.getLast().data());
    JsonNode finish = events.get(events.size() - 2).json();
    assertEquals("stop", finish.at("/choices/0/finish_reason").asText());
    assertTrue(events.stream().limit(events.size() - 1).noneMatch(e -> e.json().has("usage")));
  }

  @Test
  void theSameRequestGetsTheSameTextAndAnotherRequestAnotherText() {
    String once = post(request("What is a queue?")).path("choices[0].message.content");
    String again = post(request("What is a queue?")).path("choices[0].message.content");
    String other = post(request("What is a stack?")).path("choices[0].message.content");
    Map<String, Object> otherModel = request("What is a queue?");
    otherModel.put("model", "gpt-4o");

    assertEquals(once, again);
    assertNotEquals(once, other);
    assertNotEquals(once, post(otherModel).path("choices[0].message.content"));
  }

  @Test
  void maxTokensCutsTheAnswerWithFinishReasonLength() {
    Map<String, Object> request = request("What is a queue?");
    String whole = post(request).path("choices[0].message.content");
    request.put("max_tokens", 5);

    Response cut = post(request);

    cut.then()
        .statusCode(200)
        .body("choices[0].finish_reason", equalTo("length"))
        .body("usage.completion_tokens", equalTo(5));
    String text = cut.path("choices[0].message.content");
    assertEquals(5, text.split(" ").length);
    assertTrue(whole.startsWith(text));
  }

  @Test
  void maxCompletionTokensCutsTheAnswerToo() {
    Map<String, Object> request = request("What is a queue?");
    request.put("max_completion_tokens", 3);

    post(request)
        .then()
        .body("choices[0].finish_reason", equalTo("length"))
        .body("usage.completion_tokens", equalTo(3));
  }

  @Test
  void tokensArriveAtTheConfiguredPace() {
    TestSettings.put(Map.of("tokens_per_second", 50));
    Map<String, Object> request = request("Pace yourself.");
    request.put("max_tokens", 10);

    long started = System.nanoTime();
    post(request).then().statusCode(200).body("usage.completion_tokens", equalTo(10));
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    // nine gaps of 20 ms between ten tokens
    assertTrue(took.toMillis() >= 150, "took " + took.toMillis() + " ms");
  }

  @Test
  void aBodyThatIsNotJsonIsA400InOpenAisFormat() {
    given()
        .contentType(ContentType.JSON)
        .body("{not json")
        .post(PATH)
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .header("x-ratelimit-limit-tokens", "2000000")
        .body("error.type", equalTo("invalid_request_error"))
        .body("error.message", notNullValue());
  }

  @Test
  void aRequestWithoutMessagesIsA400InOpenAisFormat() {
    post(Map.of("model", "gpt-4o-mini"))
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("invalid_request_error"))
        .body("error.message", startsWith("Missing required parameter: 'messages'"));
  }

  @Test
  void aMaxTokensBelowOneIsA400() {
    Map<String, Object> request = request("Hello");
    request.put("max_tokens", 0);

    post(request).then().statusCode(400).body("error.type", equalTo("invalid_request_error"));
  }

  static Map<String, Object> request(String prompt) {
    Map<String, Object> request = new HashMap<>();
    request.put("model", "gpt-4o-mini");
    request.put("messages", List.of(Map.of("role", "user", "content", prompt)));
    return request;
  }

  private static Response post(Map<String, Object> body) {
    return given().contentType(ContentType.JSON).body(body).post(PATH);
  }
}
