package io.llmq.worker.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.job.FailureCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Header normalization, failure classification and SSE line splitting on real formats. */
class ProviderFormatsTest {

  private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

  @Test
  void openAiHeadersWithGoDurationsBecomeOneSnapshot() {
    Map<String, String> headers =
        Map.of(
            "x-ratelimit-limit-requests", "10000",
            "x-ratelimit-remaining-requests", "9999",
            "x-ratelimit-reset-requests", "6ms",
            "x-ratelimit-limit-tokens", "200000",
            "x-ratelimit-remaining-tokens", "199650",
            "x-ratelimit-reset-tokens", "1m30.5s",
            "retry-after-ms", "99",
            "retry-after", "1");
    RateLimitSnapshot snapshot = RateLimitHeaders.read(headers::get, NOW);
    assertEquals(10000, snapshot.requestLimit());
    assertEquals(9999, snapshot.requestsRemaining());
    assertEquals(Duration.ofMillis(6), snapshot.requestsReset());
    assertEquals(200000, snapshot.tokenLimit());
    assertEquals(199650, snapshot.tokensRemaining());
    assertEquals(Duration.ofMillis(90_500), snapshot.tokensReset());
    assertEquals(
        Duration.ofMillis(99), snapshot.retryAfter(), "retry-after-ms is the more precise");
  }

  @Test
  void goDurationsOfEveryShapeParse() {
    assertEquals(Duration.ofMinutes(6), RateLimitHeaders.goDuration("6m0s"));
    assertEquals(Duration.ofMillis(120), RateLimitHeaders.goDuration("120ms"));
    assertEquals(Duration.ofMillis(1500), RateLimitHeaders.goDuration("1.5s"));
    assertEquals(
        Duration.ofHours(1).plusMinutes(2).plusSeconds(3), RateLimitHeaders.goDuration("1h2m3s"));
    assertEquals(Duration.ZERO, RateLimitHeaders.goDuration("0s"));
    assertNull(RateLimitHeaders.goDuration("soon"));
    assertNull(RateLimitHeaders.goDuration("5 m"));
  }

  @Test
  void anthropicHeadersWithRfc3339ResetsBecomeDurations() {
    Map<String, String> headers =
        Map.of(
            "anthropic-ratelimit-requests-limit", "4000",
            "anthropic-ratelimit-requests-remaining", "3999",
            "anthropic-ratelimit-requests-reset", "2026-11-24T10:00:01Z",
            "anthropic-ratelimit-input-tokens-limit", "400000",
            "anthropic-ratelimit-input-tokens-remaining", "398000",
            "anthropic-ratelimit-input-tokens-reset", "2026-11-24T10:00:00.300Z",
            "retry-after", "7");
    RateLimitSnapshot snapshot = RateLimitHeaders.read(headers::get, NOW);
    assertEquals(4000, snapshot.requestLimit());
    assertEquals(Duration.ofSeconds(1), snapshot.requestsReset());
    assertEquals(400000, snapshot.tokenLimit());
    assertEquals(398000, snapshot.tokensRemaining());
    assertEquals(Duration.ofMillis(300), snapshot.tokensReset());
    assertEquals(Duration.ofSeconds(7), snapshot.retryAfter());
  }

  @Test
  void retryAfterMayBeAnHttpDate() {
    RateLimitSnapshot snapshot =
        RateLimitHeaders.read(Map.of("retry-after", "Tue, 24 Nov 2026 10:00:30 GMT")::get, NOW);
    assertEquals(Duration.ofSeconds(30), snapshot.retryAfter());
    assertTrue(RateLimitHeaders.read(Map.<String, String>of()::get, NOW).isEmpty());
  }

  @Test
  void everyFailureIsClassifiedOnce() {
    RateLimitSnapshot limits = RateLimitHeaders.read(Map.of("retry-after", "2")::get, NOW);
    ProviderException limited =
        FailureClassifier.forStatus(429, Samples.text("openai/error-429.json"), limits);
    assertEquals(FailureCode.UPSTREAM_RATE_LIMITED, limited.code());
    assertEquals(Duration.ofSeconds(2), limited.retryAfter());
    assertEquals(FailureCode.UPSTREAM_ERROR, FailureClassifier.forStatus(500, "", limits).code());
    assertEquals(FailureCode.UPSTREAM_ERROR, FailureClassifier.forStatus(529, "{}", limits).code());
    assertEquals(
        FailureCode.UPSTREAM_ERROR, FailureClassifier.forStatus(503, "<html>", limits).code());
    assertEquals(
        FailureCode.CONTEXT_LENGTH_EXCEEDED,
        FailureClassifier.forStatus(400, Samples.text("openai/error-context.json"), limits).code());
    assertEquals(
        FailureCode.CONTEXT_LENGTH_EXCEEDED,
        FailureClassifier.forStatus(
                400,
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}",
                limits)
            .code());
    ProviderException rejected =
        FailureClassifier.forStatus(422, "{\"error\":{\"message\":\"bad role\"}}", limits);
    assertEquals(FailureCode.UPSTREAM_REJECTED, rejected.code());
    assertTrue(rejected.getMessage().contains("bad role"));
    assertFalse(FailureCode.UPSTREAM_REJECTED.retryable());
  }

  @Test
  void everyProvidersContextLengthRefusalIsContextLengthExceeded() {
    // OpenAI's, by its error code (the sample's message is OpenAI's own wording too).
    ProviderException openAi =
        FailureClassifier.forStatus(
            400, Samples.text("openai/error-context.json"), RateLimitSnapshot.NONE);
    assertEquals(FailureCode.CONTEXT_LENGTH_EXCEEDED, openAi.code());
    assertFalse(openAi.code().retryable());
    assertTrue(openAi.getMessage().contains("maximum context length is 128000 tokens"));
    assertEquals(
        FailureCode.CONTEXT_LENGTH_EXCEEDED,
        FailureClassifier.forStatus(
                400,
                "{\"error\":{\"message\":\"too long\",\"type\":\"invalid_request_error\","
                    + "\"code\":\"context_length_exceeded\"}}",
                RateLimitSnapshot.NONE)
            .code());
    // Anthropic's two wordings: a prompt over the window, and prompt plus max_tokens over it.
    for (String message :
        new String[] {
          "prompt is too long: 210000 tokens > 200000 maximum",
          "input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease"
              + " input length or `max_tokens` and try again"
        }) {
      ProviderException anthropic =
          FailureClassifier.forStatus(
              400,
              "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                  + "\"message\":\""
                  + message
                  + "\"}}",
              RateLimitSnapshot.NONE);
      assertEquals(FailureCode.CONTEXT_LENGTH_EXCEEDED, anthropic.code(), message);
      assertTrue(anthropic.getMessage().contains(message.substring(0, 20)), message);
    }
    // Another 400 stays a plain rejection.
    assertEquals(
        FailureCode.UPSTREAM_REJECTED,
        FailureClassifier.forStatus(
                400,
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                    + "\"message\":\"max_tokens: Field required\"}}",
                RateLimitSnapshot.NONE)
            .code());
  }

  @Test
  void a429WithoutRetryAfterWaitsForTheExhaustedBudgetToReset() {
    RateLimitSnapshot limits =
        RateLimitHeaders.read(
            Map.of(
                    "x-ratelimit-remaining-requests", "40",
                    "x-ratelimit-reset-requests", "1s",
                    "x-ratelimit-remaining-tokens", "0",
                    "x-ratelimit-reset-tokens", "6m0s")
                ::get,
            NOW);
    assertEquals(
        Duration.ofMinutes(6), FailureClassifier.forStatus(429, "{}", limits).retryAfter());
  }

  @Test
  void anAccountOutOfQuotaIsNotRetried() {
    String body =
        "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}";
    assertEquals(
        FailureCode.UPSTREAM_REJECTED,
        FailureClassifier.forStatus(429, body, RateLimitSnapshot.NONE).code());
  }

  @Test
  void llmqsOwnFaultsAreNotTakenForTransportFailures() {
    assertTrue(FailureClassifier.isTransport(new java.net.ConnectException("refused")));
    assertTrue(FailureClassifier.isTransport(new java.util.concurrent.TimeoutException()));
    assertFalse(FailureClassifier.isTransport(new NullPointerException()));
    assertFalse(FailureClassifier.isTransport(new ClassCastException()));
  }

  @Test
  void noKeyEverReachesAStoredMessage() {
    RateLimitSnapshot none = RateLimitSnapshot.NONE;
    ProviderException unauthorized =
        FailureClassifier.forStatus(401, Samples.text("openai/error-401.json"), none);
    assertEquals(FailureCode.UPSTREAM_REJECTED, unauthorized.code());
    assertFalse(unauthorized.getMessage().contains("sk-"));
    ProviderException echoed =
        FailureClassifier.forStatus(
            400, "{\"error\":{\"message\":\"key sk-proj-abcdef123456 is odd\"}}", none);
    assertFalse(echoed.getMessage().contains("sk-proj"), echoed.getMessage());
  }

  @Test
  void linesAreJoinedAcrossChunkBoundariesIncludingInsideACharacter() {
    byte[] bytes = "data: {\"a\":\"wö\"}\r\n\r\ndata: [DONE]\n".getBytes(StandardCharsets.UTF_8);
    SseLines lines = new SseLines();
    List<String> seen = new ArrayList<>();
    for (byte b : bytes) {
      seen.addAll(lines.feed(new byte[] {b}));
    }
    assertEquals(List.of("data: {\"a\":\"wö\"}", "", "data: [DONE]"), seen);
    assertEquals(List.of(), lines.finish());
  }
}
