package io.llmq.worker.provider.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.job.FailureCode;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.llmq.worker.provider.Samples;
import io.llmq.worker.provider.TestProviderConfig;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpServer;
import io.vertx.mutiny.core.http.HttpServerRequest;
import io.vertx.mutiny.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The adapter over real HTTP, against a local server that plays recorded Anthropic answers. */
class AnthropicProviderTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REQUEST =
      "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"system\",\"content\":\"Be"
          + " brief.\"},{\"role\":\"user\",\"content\":\"What is llmq?\"}],\"seed\":3}";

  private Vertx vertx;
  private String baseUrl;
  private final AtomicReference<Consumer<HttpServerResponse>> answer = new AtomicReference<>();
  private final AtomicReference<JsonNode> received = new AtomicReference<>();
  private final Map<String, String> receivedHeaders = new ConcurrentHashMap<>();
  private final AtomicReference<String> receivedPath = new AtomicReference<>();
  private final List<Delta> deltas = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() {
    vertx = Vertx.vertx();
    HttpServer server =
        vertx.createHttpServer().requestHandler(this::handle).listen(0).await().atMost(WAIT);
    baseUrl = "http://localhost:" + server.actualPort();
  }

  @AfterEach
  void stopServer() {
    vertx.close().await().atMost(WAIT);
  }

  private void handle(HttpServerRequest request) {
    receivedPath.set(request.path());
    for (String name : List.of("x-api-key", "anthropic-version", "content-type")) {
      String value = request.getHeader(name);
      if (value != null) {
        receivedHeaders.put(name, value);
      }
    }
    request
        .body()
        .subscribe()
        .with(body -> {
          try {
            received.set(JSON.readTree(body.getBytes()));
          } catch (java.io.IOException e) {
            request.response().setStatusCode(500).endAndForget();
            return;
          }
          answer.get().accept(request.response());
        });
  }

  private static Consumer<HttpServerResponse> stream(byte[] transcript, String... headers) {
    return response -> {
      response.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8");
      for (int i = 0; i < headers.length; i += 2) {
        response.putHeader(headers[i], headers[i + 1]);
      }
      for (int from = 0; from < transcript.length; from += 11) {
        byte[] chunk = Arrays.copyOfRange(transcript, from, Math.min(transcript.length, from + 11));
        response.writeAndForget(Buffer.buffer(chunk));
      }
      response.endAndForget();
    };
  }

  private static Consumer<HttpServerResponse> status(
      int code, String errorType, String message, String... headers) {
    return response -> {
      response.setStatusCode(code).putHeader("content-type", "application/json");
      for (int i = 0; i < headers.length; i += 2) {
        response.putHeader(headers[i], headers[i + 1]);
      }
      response.endAndForget(
          "{\"type\":\"error\",\"error\":{\"type\":\""
              + errorType
              + "\",\"message\":\""
              + message
              + "\"}}");
    };
  }

  private Completion call(TestProviderConfig config) throws Exception {
    AnthropicProvider provider = new AnthropicProvider("anthropic", config, vertx, JSON);
    return provider
        .complete(new ProviderCall(JSON.readTree(REQUEST), deltas::add))
        .await()
        .atMost(WAIT);
  }

  private ProviderException failure(TestProviderConfig config) {
    return assertThrows(ProviderException.class, () -> call(config));
  }

  @Test
  void streamsAMessageAndReadsTheRateLimitHeaders() throws Exception {
    Instant reset = Instant.now().plusSeconds(30).truncatedTo(ChronoUnit.SECONDS);
    answer.set(
        stream(
            Samples.bytes("anthropic/text-stream.sse"),
            "anthropic-ratelimit-requests-limit",
            "50",
            "anthropic-ratelimit-requests-remaining",
            "49",
            "anthropic-ratelimit-requests-reset",
            reset.toString(),
            "anthropic-ratelimit-tokens-limit",
            "80000",
            "anthropic-ratelimit-tokens-remaining",
            "78000",
            "anthropic-ratelimit-tokens-reset",
            reset.toString()));

    Completion completion = call(TestProviderConfig.of("anthropic", baseUrl));

    assertEquals("/v1/messages", receivedPath.get());
    assertEquals("sk-test-key-123456", receivedHeaders.get("x-api-key"));
    assertEquals("2023-06-01", receivedHeaders.get("anthropic-version"));
    assertEquals("application/json", receivedHeaders.get("content-type"));
    JsonNode sent = received.get();
    assertEquals("claude-sonnet-4-5", sent.get("model").asText());
    assertEquals("Be brief.", sent.get("system").asText());
    assertTrue(sent.get("stream").asBoolean());
    assertEquals(4096, sent.get("max_tokens").asInt());
    assertFalse(sent.has("seed"));

    String text = "The queue holds every job until a worker takes it — héllo ✓.";
    JsonNode message = completion.result().get("choices").get(0).get("message");
    assertEquals(text, message.get("content").asText());
    assertEquals(text, String.join("", deltas.stream().map(Delta::content).toList()));
    assertEquals(1864, completion.promptTokens());
    assertEquals(1843, completion.cachedPromptTokens());
    assertEquals(17, completion.completionTokens());

    RateLimitSnapshot limits = completion.limits();
    assertEquals(50L, limits.requestLimit());
    assertEquals(49L, limits.requestsRemaining());
    assertEquals(80000L, limits.tokenLimit());
    assertEquals(78000L, limits.tokensRemaining());
    assertTrue(limits.requestsReset().compareTo(Duration.ofSeconds(30)) <= 0);
    assertTrue(limits.tokensReset().compareTo(Duration.ofSeconds(20)) > 0);
  }

  @Test
  void readsOneMessageWhenStreamingIsOff() throws Exception {
    answer.set(response ->
        response
            .putHeader("content-type", "application/json")
            .endAndForget(Buffer.buffer(Samples.bytes("anthropic/message.json"))));

    Completion completion = call(TestProviderConfig.of("anthropic", baseUrl).withStream(false));

    assertFalse(received.get().has("stream"));
    assertEquals(
        "get_weather",
        completion
            .result()
            .get("choices")
            .get(0)
            .get("message")
            .get("tool_calls")
            .get(0)
            .get("function")
            .get("name")
            .asText());
    assertEquals(2051, completion.cacheWriteTokens());
    assertTrue(completion.limits().isEmpty());
  }

  @Test
  void status429IsRateLimitedWithTheWaitAsked() {
    answer.set(status(429, "rate_limit_error", "Number of requests exceeded", "retry-after", "7"));

    ProviderException failure = failure(TestProviderConfig.of("anthropic", baseUrl));

    assertEquals(FailureCode.UPSTREAM_RATE_LIMITED, failure.code());
    assertEquals(Duration.ofSeconds(7), failure.retryAfter());
    assertEquals(Duration.ofSeconds(7), failure.limits().retryAfter());
  }

  @Test
  void status529OverloadedIsTransient() {
    answer.set(status(529, "overloaded_error", "Overloaded"));

    ProviderException failure = failure(TestProviderConfig.of("anthropic", baseUrl));

    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.code().retryable());
    assertTrue(failure.getMessage().contains("Overloaded"));
  }

  @Test
  void promptTooLongIsContextLengthExceeded() {
    answer.set(
        status(400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"));

    ProviderException failure = failure(TestProviderConfig.of("anthropic", baseUrl));

    assertEquals(FailureCode.CONTEXT_LENGTH_EXCEEDED, failure.code());
    assertFalse(failure.code().retryable());
  }

  @Test
  void anErrorEventMidStreamFailsTheCall() {
    answer.set(stream(Samples.bytes("anthropic/error-stream.sse")));

    ProviderException failure = failure(TestProviderConfig.of("anthropic", baseUrl));

    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("529"));
  }

  @Test
  void aStreamThatEndsBeforeMessageStopIsAnUpstreamError() {
    String whole = new String(Samples.bytes("anthropic/text-stream.sse"), StandardCharsets.UTF_8);
    answer.set(
        stream(
            whole
                .substring(0, whole.indexOf("event: message_stop"))
                .getBytes(StandardCharsets.UTF_8)));

    ProviderException failure = failure(TestProviderConfig.of("anthropic", baseUrl));

    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("ended before"));
  }

  @Test
  void noResponseHeadersInTimeIsATransientTimeout() {
    answer.set(response -> {});

    ProviderException failure =
        failure(
            TestProviderConfig.of("anthropic", baseUrl)
                .withFirstByteTimeout(Duration.ofMillis(300)));

    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("timed out"));
  }
}
