package io.llmq.simulator.call;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.simulator.SseEvent;
import io.llmq.simulator.TestSettings;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@QuarkusTest
class FaultsTest {

  private static final String OPENAI = "/v1/chat/completions";
  private static final String ANTHROPIC = "/v1/messages";
  private static final String CHAT =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
  private static final String MESSAGE =
      "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":50,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

  @TestHTTPResource(OPENAI)
  URI openAiUri;

  @BeforeEach
  void noPacing() {
    TestSettings.fast();
  }

  @AfterEach
  void noFaults() {
    TestSettings.fast();
  }

  @ParameterizedTest
  @CsvSource({
    "500, 500, server_error, The server had an error",
    "503, 503, server_error, The server is overloaded",
    "529, 529, server_error, The server is overloaded",
    "400, 400, invalid_request_error, Invalid request",
    "context_length, 400, invalid_request_error, This model's maximum context length is 128000"
  })
  void aForcedFaultAnswersInOpenAisFormat(String fault, int status, String type, String message) {
    forced(OPENAI, CHAT + "}", fault)
        .then()
        .statusCode(status)
        .contentType(ContentType.JSON)
        .header("x-ratelimit-limit-tokens", notNullValue())
        .body("error.type", equalTo(type))
        .body("error.message", startsWith(message));
  }

  @Test
  void aForcedContextLengthNamesTheCodeAndParam() {
    forced(OPENAI, CHAT + "}", "context_length")
        .then()
        .body("error.code", equalTo("context_length_exceeded"))
        .body("error.param", equalTo("messages"));
  }

  @ParameterizedTest
  @CsvSource({
    "500, 500, api_error",
    "503, 503, api_error",
    "529, 529, overloaded_error",
    "400, 400, invalid_request_error",
    "context_length, 400, invalid_request_error"
  })
  void aForcedFaultAnswersInAnthropicsFormat(String fault, int status, String type) {
    forced(ANTHROPIC, MESSAGE + "}", fault)
        .then()
        .statusCode(status)
        .contentType(ContentType.JSON)
        .header("anthropic-ratelimit-tokens-limit", notNullValue())
        .body("type", equalTo("error"))
        .body("error.type", equalTo(type));
  }

  @Test
  void aForcedContextLengthOnAnthropicSaysThePromptIsTooLong() {
    forced(ANTHROPIC, MESSAGE + "}", "context_length")
        .then()
        .body("error.message", startsWith("prompt is too long"));
  }

  @Test
  void aForced429AnswersLikeARealRateLimitWithRetryAfterOneSecond() {
    forced(OPENAI, CHAT + "}", "429")
        .then()
        .statusCode(429)
        .header("retry-after", "1")
        .header("retry-after-ms", "1000")
        .header("x-ratelimit-remaining-requests", notNullValue())
        .body("error.type", equalTo("requests"))
        .body("error.code", equalTo("rate_limit_exceeded"))
        .body("error.param", nullValue());
    forced(ANTHROPIC, MESSAGE + "}", "429")
        .then()
        .statusCode(429)
        .header("retry-after", "1")
        .body("error.type", equalTo("rate_limit_error"));
  }

  @Test
  void forcedFaultsBypassTheBuckets() {
    TestSettings.put(Map.of("tokens_per_minute", 10));

    forced(OPENAI, CHAT + "}", "503").then().statusCode(503);
    forced(OPENAI, CHAT + "}", null).then().statusCode(429);
  }

  @Test
  void anUnknownFaultIsA400() {
    forced(OPENAI, CHAT + "}", "meltdown")
        .then()
        .statusCode(400)
        .body("error.message", startsWith("Unknown x-sim-fault 'meltdown'"));
  }

  @Test
  void aForcedResetDropsTheConnectionBeforeAnyAnswer() {
    assertThrows(IOException.class, () -> send(CHAT + "}", "reset", null));
  }

  @Test
  void aForcedResetDropsAStreamHalfway() {
    assertThrows(
        IOException.class, () -> send(CHAT + ",\"stream\":true,\"max_tokens\":40}", "reset", null));
  }

  @Test
  void aForcedHangNeverAnswers() {
    assertThrows(HttpTimeoutException.class, () -> send(CHAT + "}", "hang", Duration.ofSeconds(1)));
  }

  @Test
  void aForcedMalformedAnswerIsA200ThatIsNotJson() {
    Response response = forced(OPENAI, CHAT + "}", "malformed");

    response.then().statusCode(200);
    assertFalse(isJson(response.asString()));
  }

  @Test
  void aForcedMalformedStreamHasOneBrokenChunk() {
    String body =
        forced(OPENAI, CHAT + ",\"stream\":true,\"max_tokens\":10}", "malformed").asString();

    List<SseEvent> events = SseEvent.parse(body);
    assertEquals(1, events.stream().filter(e -> !e.data().equals("[DONE]") && !e.isJson()).count());
  }

  @Test
  void theConfiguredErrorRateInjectsEachProvidersOutageAnswer() {
    TestSettings.put(Map.of("error_rate", 1));

    forced(OPENAI, CHAT + "}", null)
        .then()
        .statusCode(500)
        .body("error.type", equalTo("server_error"));
    forced(ANTHROPIC, MESSAGE + "}", null)
        .then()
        .statusCode(529)
        .body("error.type", equalTo("overloaded_error"));
  }

  @Test
  void anOutageAnswersEveryCall503InBothDialectsUntilSwitchedOff() {
    TestSettings.put(Map.of("outage", true));
    for (int i = 0; i < 3; i++) {
      forced(OPENAI, CHAT + "}", null).then().statusCode(503);
      forced(ANTHROPIC, MESSAGE + "}", null).then().statusCode(503);
    }
    given().get("/admin/config").then().body("outage", equalTo(true));

    TestSettings.put(Map.of("outage", false));
    forced(OPENAI, CHAT + "}", null).then().statusCode(200);
    forced(ANTHROPIC, MESSAGE + "}", null).then().statusCode(200);
  }

  @Test
  void theConfiguredResetHangAndMalformedRatesApplyToo() throws Exception {
    TestSettings.put(Map.of("malformed_rate", 1));
    assertFalse(isJson(forced(ANTHROPIC, MESSAGE + "}", null).asString()));

    TestSettings.put(Map.of("reset_rate", 1));
    assertThrows(IOException.class, () -> send(CHAT + "}", null, null));

    TestSettings.put(Map.of("hang_rate", 1));
    assertThrows(HttpTimeoutException.class, () -> send(CHAT + "}", null, Duration.ofMillis(500)));
  }

  @Test
  void faultRatesOfZeroLeaveCallsAlone() {
    for (int i = 0; i < 20; i++) {
      forced(OPENAI, CHAT + "}", null).then().statusCode(200);
    }
    assertTrue(isJson(forced(OPENAI, CHAT + "}", null).asString()));
  }

  private static Response forced(String path, String body, String fault) {
    var request = given().contentType(ContentType.JSON).body(body);
    if (fault != null) {
      request.header("x-sim-fault", fault);
    }
    return request.post(path);
  }

  /** Through the JDK client, which reports resets and timeouts as plain IOExceptions. */
  private String send(String body, String fault, Duration timeout)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(openAiUri)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (fault != null) {
      request.header("x-sim-fault", fault);
    }
    if (timeout != null) {
      request.timeout(timeout);
    }
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static boolean isJson(String body) {
    try {
      new ObjectMapper().readTree(body);
      return true;
    } catch (JsonProcessingException e) {
      return false;
    }
  }
}
