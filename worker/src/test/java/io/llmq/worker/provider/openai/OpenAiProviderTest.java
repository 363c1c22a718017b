package io.llmq.worker.provider.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.job.FailureCode;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.Samples;
import io.llmq.worker.provider.TestProviderConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.http.HttpServer;
import io.vertx.mutiny.core.http.HttpServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAI adapter against a local HTTP server that answers in OpenAI's recorded formats. */
class OpenAiProviderTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(10);

  private Vertx vertx;
  private HttpServer server;
  private volatile Consumer<HttpServerRequest> behaviour;
  private final AtomicReference<JsonObject> received = new AtomicReference<>();
  private final AtomicReference<String> authorization = new AtomicReference<>();

  @BeforeEach
  void startServer() {
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(request -> {
              authorization.set(request.getHeader("Authorization"));
              request
                  .body()
                  .subscribe()
                  .with(body -> {
                    received.set(body.toJsonObject());
                    behaviour.accept(request);
                  });
            })
            .listen(0)
            .await()
            .atMost(WAIT);
  }

  @AfterEach
  void stopServer() {
    vertx.close().await().atMost(WAIT);
  }

  private OpenAiProvider provider(TestProviderConfig config) {
    return new OpenAiProvider("openai", config, vertx, JSON);
  }

  private TestProviderConfig config() {
    return TestProviderConfig.of("openai", "http://127.0.0.1:" + server.actualPort() + "/v1");
  }

  private static ProviderCall call(Consumer<Delta> deltas) throws IOException {
    JsonNode request =
        JSON.readTree(
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":50}");
    return new ProviderCall(request, deltas);
  }

  /** Writes the sample in small pieces, cutting lines and characters, as a network would. */
  private void streams(String sample) {
    behaviour =
        request -> {
          var response =
              request
                  .response()
                  .setChunked(true)
                  .putHeader("Content-Type", "text/event-stream")
                  .putHeader("x-ratelimit-limit-tokens", "200000")
                  .putHeader("x-ratelimit-remaining-tokens", "199000")
                  .putHeader("x-ratelimit-reset-tokens", "300ms");
          byte[] bytes = sample.getBytes(StandardCharsets.UTF_8);
          for (int i = 0; i < bytes.length; i += 7) {
            byte[] piece = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 7));
            response.writeAndForget(io.vertx.mutiny.core.buffer.Buffer.buffer(piece));
          }
          response.endAndForget();
        };
  }

  private void answers(int status, String body, String... headers) {
    behaviour =
        request -> {
          var response =
              request
                  .response()
                  .setStatusCode(status)
                  .putHeader("Content-Type", "application/json");
          for (int i = 0; i < headers.length; i += 2) {
            response.putHeader(headers[i], headers[i + 1]);
          }
          response.endAndForget(body);
        };
  }

  @Test
  void aStreamIsAssembledIntoOneCompletionWithUsageDeltasAndLimits() throws Exception {
    streams(Samples.text("openai/stream-text.txt"));
    List<Delta> deltas = new ArrayList<>();
    Completion completion = provider(config()).complete(call(deltas::add)).await().atMost(WAIT);

    assertEquals(true, received.get().getBoolean("stream"));
    assertEquals(true, received.get().getJsonObject("stream_options").getBoolean("include_usage"));
    assertEquals("Bearer sk-test-key-123456", authorization.get());
    JsonNode result = completion.result();
    assertEquals("chat.completion", result.path("object").asText());
    assertEquals(
        "Hello, wörld!", result.path("choices").path(0).path("message").path("content").asText());
    assertEquals("stop", result.path("choices").path(0).path("finish_reason").asText());
    assertEquals(1200, completion.promptTokens());
    assertEquals(1024, completion.cachedPromptTokens());
    assertEquals(4, completion.completionTokens());
    assertEquals("Hello, wörld!", String.join("", deltas.stream().map(Delta::content).toList()));
    assertEquals(199000, completion.limits().tokensRemaining());
    assertEquals(Duration.ofMillis(300), completion.limits().tokensReset());
  }

  @Test
  void toolCallArgumentsArrivingInPiecesAreJoined() throws Exception {
    streams(Samples.text("openai/stream-tool-call.txt"));
    Completion completion = provider(config()).complete(call(d -> {})).await().atMost(WAIT);
    JsonNode message = completion.result().path("choices").path(0).path("message");
    assertTrue(message.path("content").isNull());
    assertEquals("call_abc", message.path("tool_calls").path(0).path("id").asText());
    assertEquals(
        "get_weather", message.path("tool_calls").path(0).path("function").path("name").asText());
    assertEquals(
        "{\"city\":\"Paris\"}",
        message.path("tool_calls").path(0).path("function").path("arguments").asText());
    assertEquals(
        "tool_calls", completion.result().path("choices").path(0).path("finish_reason").asText());
  }

  @Test
  void aPlainResponseIsTakenAsIsWhenStreamingIsOff() throws Exception {
    answers(
        200,
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}");
    Completion completion =
        provider(config().withStream(false)).complete(call(d -> {})).await().atMost(WAIT);
    assertTrue(received.get().getValue("stream") == null);
    assertEquals(9, completion.promptTokens());
    assertEquals(1, completion.completionTokens());
  }

  @Test
  void failuresAreClassifiedWithTheProvidersWait() {
    answers(429, Samples.text("openai/error-429.json"), "retry-after-ms", "1500");
    ProviderException limited = failure();
    assertEquals(FailureCode.UPSTREAM_RATE_LIMITED, limited.code());
    assertEquals(Duration.ofMillis(1500), limited.retryAfter());

    answers(503, "{\"error\":{\"message\":\"overloaded\"}}");
    assertEquals(FailureCode.UPSTREAM_ERROR, failure().code());

    answers(400, Samples.text("openai/error-context.json"));
    assertEquals(FailureCode.CONTEXT_LENGTH_EXCEEDED, failure().code());

    answers(401, Samples.text("openai/error-401.json"));
    assertEquals(FailureCode.UPSTREAM_REJECTED, failure().code());

    answers(200, "{not json");
    assertEquals(FailureCode.UPSTREAM_ERROR, failure().code());
  }

  @Test
  void resetsHangsAndTruncatedStreamsAreTransient() {
    behaviour = request -> request.connection().close().subscribe().with(v -> {});
    assertEquals(FailureCode.UPSTREAM_ERROR, failure().code());

    behaviour = request -> {};
    ProviderException hung =
        assertThrows(
            ProviderException.class,
            () ->
                provider(config().withFirstByteTimeout(Duration.ofMillis(300)))
                    .complete(call(d -> {}))
                    .await()
                    .atMost(WAIT));
    assertEquals(FailureCode.UPSTREAM_ERROR, hung.code());
    assertTrue(hung.getMessage().contains("timed out"));

    String truncated = Samples.text("openai/stream-text.txt");
    streams(
        truncated.substring(
            0,
            truncated.indexOf(
                "data: {\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion.chunk\",\"created\":1732000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{\"index\":0,\"delta\":{},")));
    assertEquals(FailureCode.UPSTREAM_ERROR, failure().code());
  }

  @Test
  void anErrorReportedInsideAStreamFailsTheCall() {
    streams(
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
            + "data: {\"error\":{\"object\":\"error\",\"message\":\"engine crashed\",\"type\":\"InternalServerError\",\"code\":500}}\n\n"
            + "data: [DONE]\n\n");
    ProviderException failure = failure();
    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("engine crashed"));
  }

  @Test
  void aStreamWithoutAFinishReasonIsCutShortEvenWithDone() {
    streams(
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
            + "data: [DONE]\n\n");
    assertEquals(FailureCode.UPSTREAM_ERROR, failure().code());
  }

  @Test
  void aLongUnstreamedCallIsNotCutByTheFirstByteTimeout() throws Exception {
    behaviour =
        request ->
            vertx.setTimer(
                800,
                id ->
                    request
                        .response()
                        .putHeader("Content-Type", "application/json")
                        .endAndForget(
                            "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}]}"));
    Completion completion =
        provider(config().withStream(false).withFirstByteTimeout(Duration.ofMillis(300)))
            .complete(call(d -> {}))
            .await()
            .atMost(WAIT);
    // No usage in the answer: estimated with the tokenizer ("Hello there" is 2 tokens).
    assertEquals(2, completion.completionTokens());
    assertTrue(completion.promptTokens() > 0);
  }

  @Test
  void aStreamThatFallsSilentTimesOut() {
    behaviour =
        request ->
            request
                .response()
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .writeAndForget(
                    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n");
    ProviderException silent =
        assertInstanceOf(
            ProviderException.class,
            assertThrows(
                Throwable.class,
                () ->
                    provider(config().withIdleTimeout(Duration.ofMillis(400)))
                        .complete(call(d -> {}))
                        .await()
                        .atMost(WAIT)));
    assertEquals(FailureCode.UPSTREAM_ERROR, silent.code());
    assertTrue(silent.getMessage().contains("timed out"));
  }

  private ProviderException failure() {
    Throwable thrown =
        assertThrows(
            Throwable.class, () -> provider(config()).complete(call(d -> {})).await().atMost(WAIT));
    return assertInstanceOf(ProviderException.class, thrown);
  }
}
