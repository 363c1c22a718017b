package io.llmq.simulator.ratelimit;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.simulator.TestSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RateLimitTest {

  /** A 5-token prompt plus 1000 reserved output tokens. */
  private static final Map<String, Object> OPENAI_CALL =
      Map.of(
          "model",
          "gpt-4o-mini",
          "max_tokens",
          1000,
          "messages",
          List.of(Map.of("role", "user", "content", "Hi!")));

  private final String key = "key-" + UUID.randomUUID();

  @BeforeEach
  void noPacing() {
    TestSettings.fast();
  }

  @AfterEach
  void restoreLimits() {
    TestSettings.fast();
  }

  @Test
  void anExhaustedTokenBucketAnswers429WithRetryAfter() {
    // 2,100 per minute refill 35 per second: after two calls of 1,005 the third lacks ~900 tokens,
    // about 26 s of refill, so it is refused however slow this machine is.
    TestSettings.put(Map.of("tokens_per_minute", 2100));
    long left = remainingTokens(openAi(key).then().statusCode(200).extract().response());
    // 2,100 - 1,005, plus whatever refilled since the settings reset the bucket.
    assertTrue(left >= 1095 && left < 1200, "remaining " + left);
    openAi(key).then().statusCode(200);

    Response refused = openAi(key);

    refused
        .then()
        .statusCode(429)
        .contentType(ContentType.JSON)
        .header("x-ratelimit-limit-tokens", "2100")
        .header("x-ratelimit-limit-requests", "10000")
        .header("x-ratelimit-remaining-requests", notNullValue())
        .header("x-ratelimit-reset-requests", notNullValue())
        .header("x-ratelimit-reset-tokens", notNullValue())
        .body("error.type", equalTo("tokens"))
        .body("error.code", equalTo("rate_limit_exceeded"))
        .body("error.param", nullValue())
        .body("error.message", startsWith("Rate limit reached for tokens per min (TPM)"));
    assertTrue(Long.parseLong(refused.header("retry-after")) >= 1);
    assertTrue(Long.parseLong(refused.header("retry-after-ms")) >= 1);
    assertTrue(Long.parseLong(refused.header("x-ratelimit-remaining-tokens")) < 1005);
  }

  @Test
  void aRefusedKeyIsAdmittedAgainOnceTheBucketRefills() {
    // 3,000 per minute refill 50 per second: once refused, the call's 1,005 tokens are back in at
    // most about 20 s (usually far less: the bucket rarely runs dry to the last token).
    TestSettings.put(Map.of("tokens_per_minute", 3000));
    await().atMost(Duration.ofSeconds(5)).until(() -> openAi(key).statusCode() == 429);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> openAi(key).statusCode() == 200);
  }

  @Test
  void withRefundUnusedACompletedCallGivesBackTheOutputItDidNotProduce() {
    // 2,100 per minute: a call reserves 1,005 and answers far fewer than 1,000 tokens.
    TestSettings.put(Map.of("tokens_per_minute", 2100, "refund_unused", true));
    Response first = openAi(key).then().statusCode(200).extract().response();
    int produced = first.path("usage.completion_tokens");
    assertTrue(produced < 1000, "answered " + produced);
    long afterFirst = remainingTokens(first);
    long afterSecond = remainingTokens(openAi(key).then().statusCode(200).extract().response());
    // The second saw the first's unused ~1,000 back; without the refund it would see ~1,095 less.
    assertTrue(
        afterSecond >= afterFirst - 1005 + (1000 - produced) - 5,
        afterFirst + " then " + afterSecond);
    openAi(key).then().statusCode(200);
  }

  @Test
  void aRefusedCallIsChargedNothing() {
    TestSettings.put(Map.of("tokens_per_minute", 1500));
    openAi(key).then().statusCode(200);

    long before = remainingTokens(openAi(key).then().statusCode(429).extract().response());
    long after = remainingTokens(openAi(key).then().statusCode(429).extract().response());

    assertTrue(after >= before, before + " then " + after);
  }

  @Test
  void anExhaustedRequestBucketAnswers429ForRequests() {
    TestSettings.put(Map.of("requests_per_minute", 2));
    openAi(key).then().statusCode(200);
    openAi(key).then().statusCode(200).header("x-ratelimit-remaining-requests", "0");

    Response refused = openAi(key);

    refused
        .then()
        .statusCode(429)
        .body("error.type", equalTo("requests"))
        .body("error.message", startsWith("Rate limit reached for requests per min (RPM)"));
    // one request per 30 s
    long retryAfter = Long.parseLong(refused.header("retry-after"));
    assertTrue(retryAfter >= 29 && retryAfter <= 30, "retry-after " + retryAfter);
  }

  @Test
  void bucketsAreKeptPerApiKey() {
    TestSettings.put(Map.of("requests_per_minute", 1));
    openAi(key).then().statusCode(200);
    openAi(key).then().statusCode(429);

    openAi("key-" + UUID.randomUUID()).then().statusCode(200);
  }

  @Test
  void aCallLargerThanTheWholeBucketIsRefusedAsTooLarge() {
    TestSettings.put(Map.of("tokens_per_minute", 500));

    openAi(key)
        .then()
        .statusCode(429)
        .body("error.type", equalTo("tokens"))
        .body("error.message", startsWith("Request too large for tokens per min (TPM)"));
  }

  @Test
  void anthropicAnswers429WithItsOwnErrorAndHeaders() {
    TestSettings.put(Map.of("tokens_per_minute", 1500));
    Map<String, Object> call =
        Map.of(
            "model",
            "claude-sonnet-4-5",
            "max_tokens",
            1000,
            "messages",
            List.of(Map.of("role", "user", "content", "Hi!")));
    anthropic(call).then().statusCode(200);

    Response refused = anthropic(call);

    refused
        .then()
        .statusCode(429)
        .contentType(ContentType.JSON)
        .header("anthropic-ratelimit-tokens-limit", "1500")
        .header("anthropic-ratelimit-requests-limit", "10000")
        .header("anthropic-ratelimit-requests-remaining", notNullValue())
        .body("type", equalTo("error"))
        .body("error.type", equalTo("rate_limit_error"));
    assertTrue(Long.parseLong(refused.header("retry-after")) >= 1);
    assertTrue(Long.parseLong(refused.header("anthropic-ratelimit-tokens-remaining")) < 1005);
    OffsetDateTime reset = OffsetDateTime.parse(refused.header("anthropic-ratelimit-tokens-reset"));
    assertTrue(reset.isAfter(OffsetDateTime.now()));
    OffsetDateTime.parse(refused.header("anthropic-ratelimit-requests-reset"));
  }

  @Test
  void changingTheLimitsRefillsTheBuckets() {
    TestSettings.put(Map.of("requests_per_minute", 1));
    openAi(key).then().statusCode(200);
    openAi(key).then().statusCode(429);

    TestSettings.put(Map.of("requests_per_minute", 2));

    openAi(key).then().statusCode(200).header("x-ratelimit-remaining-requests", "1");
  }

  @Test
  void headersShowTheBucketsTimeUntilFullInGoDurations() {
    openAi(key)
        .then()
        .statusCode(200)
        .header("x-ratelimit-limit-requests", "10000")
        .header("x-ratelimit-remaining-requests", "9999")
        // one request of 10000 per minute takes 6 ms to come back
        .header("x-ratelimit-reset-requests", "6ms");
  }

  private static long remainingTokens(Response response) {
    return Long.parseLong(response.header("x-ratelimit-remaining-tokens"));
  }

  private static Response openAi(String apiKey) {
    return given()
        .header("Authorization", "Bearer " + apiKey)
        .contentType(ContentType.JSON)
        .body(OPENAI_CALL)
        .post("/v1/chat/completions");
  }

  private Response anthropic(Map<String, Object> call) {
    return given()
        .header("x-api-key", key)
        .contentType(ContentType.JSON)
        .body(call)
        .post("/v1/messages");
  }
}
