package io.llmq.worker.provider;

import io.llmq.common.provider.ProvidersConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import io.vertx.mutiny.core.http.HttpClientRequest;
import io.vertx.mutiny.core.http.HttpClientResponse;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The HTTP exchange every remote provider shares, over the Vert.x client (the call stays on the
 * event loop): POST a JSON body, read the rate-limit headers before the body, turn a non-2xx into a
 * classified {@link ProviderException} and a broken connection or timeout into a transient one, and
 * reset the connection when the call fails or is cancelled, so the provider stops generating. The
 * adapter reads a successful response.
 *
 * <p>Timeouts: a streamed call must send its headers within the first-byte timeout and then never
 * fall silent longer than the idle timeout between chunks; a call that is not streamed sends its
 * headers only when the whole answer is ready, so it is bounded only by the worker's call timeout.
 */
public final class ProviderHttp {

  private final ProvidersConfig.Provider config;
  private final HttpClient client;
  private final String endpoint;

  public ProviderHttp(String name, ProvidersConfig.Provider config, Vertx vertx, String path) {
    this.config = config;
    String base =
        config
            .baseUrl()
            .orElseThrow(
                () -> new IllegalStateException("llmq.providers." + name + ".base-url is not set"));
    this.endpoint = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setMaxPoolSize(1024)
                .setKeepAlive(true));
  }

  /**
   * Sends {@code payload} and hands a 2xx response, with its rate-limit snapshot, to {@code read}.
   */
  public Uni<Completion> post(
      Buffer payload,
      Map<String, String> headers,
      BiFunction<HttpClientResponse, RateLimitSnapshot, Uni<Completion>> read) {
    return send(payload, headers, config.stream(), read);
  }

  /**
   * Sends {@code payload} to an endpoint that answers plain JSON, never a stream (the moderation
   * endpoint, say), and hands a 2xx response to {@code read}; failures are classified as for a
   * call.
   */
  public <T> Uni<T> postForJson(
      Buffer payload,
      Map<String, String> headers,
      BiFunction<HttpClientResponse, RateLimitSnapshot, Uni<T>> read) {
    return send(payload, headers, false, read);
  }

  private <T> Uni<T> send(
      Buffer payload,
      Map<String, String> headers,
      boolean streamed,
      BiFunction<HttpClientResponse, RateLimitSnapshot, Uni<T>> read) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(endpoint)
            .putHeader("Content-Type", "application/json")
            .putHeader("Accept", streamed ? "text/event-stream" : "application/json");
    headers.forEach(options::putHeader);
    AtomicReference<HttpClientRequest> inFlight = new AtomicReference<>();
    Runnable reset =
        () -> {
          HttpClientRequest request = inFlight.get();
          if (request != null) {
            request.reset();
          }
        };
    Uni<HttpClientResponse> answered =
        client.request(options).invoke(inFlight::set).chain(request -> request.send(payload));
    if (streamed) {
      answered =
          answered
              .ifNoItem()
              .after(config.firstByteTimeout())
              .failWith(() -> new TimeoutException("no response headers in time"));
    }
    return answered
        .chain(response -> answer(response, read))
        .onFailure(FailureClassifier::isTransport)
        .transform(FailureClassifier::forTransport)
        .onFailure()
        .invoke(reset)
        .onCancellation()
        .invoke(reset);
  }

  private static <T> Uni<T> answer(
      HttpClientResponse response, BiFunction<HttpClientResponse, RateLimitSnapshot, Uni<T>> read) {
    RateLimitSnapshot limits = RateLimitHeaders.read(response::getHeader, Instant.now());
    int status = response.statusCode();
    if (status < 200 || status >= 300) {
      return response
          .body()
          .map(body -> {
            throw FailureClassifier.forStatus(status, body.toString(), limits);
          });
    }
    return read.apply(response, limits);
  }

  /** Whether a response is a server-sent-event stream. */
  public static boolean isStream(HttpClientResponse response) {
    String type = response.getHeader("Content-Type");
    return type != null && type.startsWith("text/event-stream");
  }

  /**
   * Feeds every line of a streamed response to {@code line}; completes when the stream ends, fails
   * when it falls silent for longer than the idle timeout.
   */
  public Uni<Void> eachLine(HttpClientResponse response, Consumer<String> line) {
    SseLines lines = new SseLines();
    return response
        .toMulti()
        .ifNoItem()
        .after(config.idleTimeout())
        .failWith(() -> new TimeoutException("the stream fell silent"))
        .onItem()
        .invoke(chunk -> lines.feed(chunk.getBytes()).forEach(line))
        .collect()
        .last()
        .invoke(ignored -> lines.finish().forEach(line))
        .replaceWithVoid();
  }
}
