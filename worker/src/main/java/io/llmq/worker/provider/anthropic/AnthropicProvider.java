package io.llmq.worker.provider.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.job.FailureCode;
import io.llmq.worker.provider.ChatProvider;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.ProvidersConfig;
import io.llmq.worker.provider.RateLimitHeaders;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.llmq.worker.provider.SseLines;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import io.vertx.mutiny.core.http.HttpClientRequest;
import io.vertx.mutiny.core.http.HttpClientResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}) behind the OpenAI Chat Completions format
 * the rest of llmq speaks: the request is translated by {@link MessagesTranslator}, the answer (a
 * stream assembled by {@link MessageStreamAssembler}, or one message) by {@link
 * CompletionTranslator}. Like the OpenAI adapter it stays on the event loop, reads the rate-limit
 * headers before the body, and resets the connection when the call is cancelled.
 */
public class AnthropicProvider implements ChatProvider {

  public static final String KIND = "anthropic";

  private final String name;
  private final ProvidersConfig.Provider config;
  private final ObjectMapper json;
  private final HttpClient client;
  private final String endpoint;
  private final MessagesTranslator requests;
  private final CompletionTranslator responses;

  public AnthropicProvider(
      String name, ProvidersConfig.Provider config, Vertx vertx, ObjectMapper json) {
    this.name = name;
    this.config = config;
    this.json = json;
    String base =
        config
            .baseUrl()
            .orElseThrow(
                () -> new IllegalStateException("llmq.providers." + name + ".base-url is not set"));
    this.endpoint =
        (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/messages";
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setMaxPoolSize(1024)
                .setKeepAlive(true));
    this.requests = new MessagesTranslator(json, config.defaultMaxTokens());
    this.responses = new CompletionTranslator(json);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Uni<Completion> complete(ProviderCall call) {
    Buffer payload;
    ObjectNode body;
    try {
      body = requests.translate(call.request(), config.stream());
      payload = Buffer.buffer(json.writeValueAsBytes(body));
    } catch (ProviderException | JsonProcessingException e) {
      return Uni.createFrom().failure(e);
    }
    AtomicReference<HttpClientRequest> inFlight = new AtomicReference<>();
    String model = body.path("model").asText();
    return client
        .request(requestOptions())
        .invoke(inFlight::set)
        .chain(request -> request.send(payload))
        .ifNoItem()
        .after(config.firstByteTimeout())
        .failWith(() -> new TimeoutException("no response headers in time"))
        .chain(response -> read(response, call, model))
        .onFailure(failure -> !(failure instanceof ProviderException))
        .transform(FailureClassifier::forTransport)
        .onCancellation()
        .invoke(() -> {
          HttpClientRequest request = inFlight.get();
          if (request != null) {
            request.reset();
          }
        });
  }

  private RequestOptions requestOptions() {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(endpoint)
            .setIdleTimeout(config.idleTimeout().toMillis())
            .putHeader("content-type", "application/json")
            .putHeader("accept", config.stream() ? "text/event-stream" : "application/json")
            .putHeader("anthropic-version", config.anthropicVersion());
    config
        .apiKey()
        .filter(key -> !key.isBlank())
        .ifPresent(key -> options.putHeader("x-api-key", key));
    return options;
  }

  private Uni<Completion> read(HttpClientResponse response, ProviderCall call, String model) {
    RateLimitSnapshot limits = RateLimitHeaders.read(response::getHeader, Instant.now());
    int status = response.statusCode();
    if (status < 200 || status >= 300) {
      return response
          .body()
          .map(body -> {
            throw FailureClassifier.forStatus(status, body.toString(), limits);
          });
    }
    String type = response.getHeader("Content-Type");
    if (type != null && type.startsWith("text/event-stream")) {
      return readStream(response, call, model, limits);
    }
    return response.body().map(body -> fromBody(body, model, limits));
  }

  private Uni<Completion> readStream(
      HttpClientResponse response, ProviderCall call, String model, RateLimitSnapshot limits) {
    SseLines lines = new SseLines();
    MessageStreamAssembler assembler = new MessageStreamAssembler(json, call.deltas(), limits);
    return response
        .toMulti()
        .onItem()
        .invoke(chunk -> lines.feed(chunk.getBytes()).forEach(assembler::accept))
        .collect()
        .last()
        .map(ignored -> {
          lines.finish().forEach(assembler::accept);
          assembler.end();
          if (!assembler.sawAnything()) {
            throw FailureClassifier.malformed();
          }
          if (!assembler.complete()) {
            throw new ProviderException(
                FailureCode.UPSTREAM_ERROR, "The provider's stream ended before it was complete.");
          }
          return responses.translate(assembler.message(), model, limits);
        });
  }

  private Completion fromBody(Buffer body, String model, RateLimitSnapshot limits) {
    JsonNode message;
    try {
      message = json.readTree(body.getBytes());
    } catch (IOException e) {
      throw FailureClassifier.malformed();
    }
    String type = message.path("type").asText();
    if ("error".equals(type)) {
      throw FailureClassifier.forStatus(
          MessageStreamAssembler.statusOf(message), body.toString(), limits);
    }
    if (!"message".equals(type)) {
      throw FailureClassifier.malformed();
    }
    return responses.translate(message, model, limits);
  }
}
