package io.llmq.simulator.ratelimit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.simulator.SseEvent;
import io.llmq.simulator.TestSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What admission charges: the prompt as billed ({@code limiter_count: tokenizer}) or as OpenAI's
 * limiter estimates it from characters ({@code characters}), plus the reserved output of every one
 * of the {@code n} choices; and the headers and refusals that follow from that charge.
 */
@QuarkusTest
class LimiterCountTest {

  /**
   * "You are terse." (14 characters) and "Hello world" (11): billed 4 + 4 and 4 + 3 = 15; by
   * characters 4 + 3 and 3 + 3 = 13.
   */
  private static final List<Map<String, String>> MESSAGES =
      List.of(
          Map.of("role", "system", "content", "You are terse."),
          Map.of("role", "user", "content", "Hello world"));

  private final String key = "key-" + UUID.randomUUID();

  @BeforeEach
  @AfterEach
  void fastSettings() {
    TestSettings.fast();
  }

  private static Map<String, Object> call(int maxTokens, Integer n) {
    Map<String, Object> call = new HashMap<>();
    call.put("model", "gpt-4o-mini");
    call.put("max_tokens", maxTokens);
    call.put("messages", MESSAGES);
    if (n != null) {
      call.put("n", n);
    }
    return call;
  }

  private Response openAi(Map<String, Object> call) {
    return given()
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(call)
        .post("/v1/chat/completions");
  }

  /** Tokens admission took for {@code call}, read from the statistics (exact). */
  private long charged(Map<String, Object> call) {
    given().post("/stats/reset").then().statusCode(200);
    openAi(call).then().statusCode(200);
    return given().get("/stats").then().extract().<Number>path("tokens_charged").longValue();
  }

  @Test
  void theTokenizerCountChargesThePromptAsBilled() {
    assertEquals(15 + 100, charged(call(100, null)));
    openAi(call(100, null)).then().body("usage.prompt_tokens", equalTo(15));
  }

  @Test
  void theCharacterCountChargesCharactersOverFourPlusThreePerMessage() {
    TestSettings.put(Map.of("limiter_count", "characters"));

    assertEquals(13 + 100, charged(call(100, null)));
    // Billing does not change with the count.
    openAi(call(100, null)).then().body("usage.prompt_tokens", equalTo(15));
  }

  @Test
  void nChargesTheReservedOutputOncePerChoiceAndAnswersThatManyChoices() {
    TestSettings.put(Map.of("tokens_per_minute", 6_000));
    assertEquals(15 + 3 * 100, charged(call(100, 3)));

    Response response = openAi(call(100, 3)).then().statusCode(200).extract().response();
    List<Map<String, Object>> choices = response.path("choices");
    assertEquals(3, choices.size());
    String text = response.path("choices[0].message.content");
    for (int i = 0; i < 3; i++) {
      assertEquals(i, (int) response.path("choices[" + i + "].index"));
      assertEquals(text, response.path("choices[" + i + "].message.content"));
    }
    int each = text.split(" ").length;
    assertEquals(3 * each, (int) response.path("usage.completion_tokens"));
    assertEquals(15 + 3 * each, (int) response.path("usage.total_tokens"));
    // The headers show the charge: two calls of 315 from a full bucket, plus a little refill (100
    // tokens a second).
    long remaining = Long.parseLong(response.header("x-ratelimit-remaining-tokens"));
    assertTrue(remaining >= 6_000 - 2 * 315 && remaining < 6_000 - 315, "remaining " + remaining);
  }

  @Test
  void aStreamWithNChoicesSendsEachTokenOncePerChoice() {
    Map<String, Object> call = call(100, 2);
    call.put("stream", true);

    List<SseEvent> events =
        SseEvent.parse(openAi(call).then().statusCode(200).extract().asString());

    StringBuilder first = new StringBuilder();
    StringBuilder second = new StringBuilder();
    int finished = 0;
    for (SseEvent event : events) {
      if (!event.isJson()) {
        continue;
      }
      var choice = event.json().at("/choices/0");
      String piece = choice.path("delta").path("content").asText("");
      (choice.path("index").asInt() == 0 ? first : second).append(piece);
      finished += choice.path("finish_reason").isTextual() ? 1 : 0;
    }
    assertTrue(first.length() > 0);
    assertEquals(first.toString(), second.toString());
    assertEquals(2, finished);
  }

  @Test
  void aCallWhoseChoicesOverflowTheBucketIsTooLargeAndSaysWhatItAsked() {
    TestSettings.put(Map.of("tokens_per_minute", 300));

    openAi(call(100, 3))
        .then()
        .statusCode(429)
        .body(
            "error.message",
            startsWith("Request too large for tokens per min (TPM): Limit 300, Requested 315."));
    openAi(call(100, 2)).then().statusCode(200);
  }

  @Test
  void aRefundGivesBackTheUnproducedOutputOfEveryChoice() {
    TestSettings.put(Map.of("refund_unused", true));
    given().post("/stats/reset").then().statusCode(200);

    Response response = openAi(call(1000, 2)).then().statusCode(200).extract().response();

    int produced = response.path("usage.completion_tokens");
    long charged =
        given().get("/stats").then().extract().<Number>path("tokens_charged").longValue();
    assertEquals(15 + produced, charged);
  }

  @Test
  void anInvalidNIsA400() {
    for (Object n : List.of(0, 129, "two", 1.5)) {
      Map<String, Object> call = call(10, null);
      call.put("n", n);
      openAi(call)
          .then()
          .statusCode(400)
          .body("error.type", equalTo("invalid_request_error"))
          .body("error.message", equalTo("Invalid 'n': expected an integer from 1 to 128."));
    }
  }
}
