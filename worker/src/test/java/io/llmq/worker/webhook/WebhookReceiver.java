package io.llmq.worker.webhook;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.http.HttpServer;
import io.vertx.mutiny.core.http.HttpServerRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntUnaryOperator;

/**
 * A local HTTP server that plays a tenant's webhook endpoint: it records every request and answers
 * each path as the test says (a status by the request's number on that path, or no answer at all).
 * It runs on a Vert.x of its own, outside the app under test (whose HTTP metrics would otherwise
 * count it too).
 */
final class WebhookReceiver implements AutoCloseable {

  /** What the receiver saw. */
  record Received(
      String path, Map<String, List<String>> headers, String body, Instant at, String serverName) {
    String header(String name) {
      List<String> values = headers.get(name.toLowerCase());
      return values == null ? null : values.getFirst();
    }
  }

  /** Answers a status for the n-th request on a path (1 for the first); 0 means never answer. */
  private final Map<String, IntUnaryOperator> answers = new HashMap<>();

  private final Map<String, Integer> counts = new HashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;

  WebhookReceiver() {
    this(new HttpServerOptions());
  }

  private WebhookReceiver(HttpServerOptions options) {
    this.server =
        vertx
            .createHttpServer(options)
            .requestHandler(this::handle)
            .listen(0, "127.0.0.1")
            .await()
            .atMost(Duration.ofSeconds(10));
  }

  /**
   * An https receiver presenting the certificate of a PKCS#12 key store; it records the SNI name
   * each request came with.
   */
  static WebhookReceiver tls(Path keyStore, String password) {
    return new WebhookReceiver(
        new HttpServerOptions()
            .setSsl(true)
            .setSni(true)
            .setKeyCertOptions(
                new PfxOptions().setPath(keyStore.toString()).setPassword(password)));
  }

  WebhookReceiver answer(String path, IntUnaryOperator status) {
    synchronized (answers) {
      answers.put(path, status);
    }
    return this;
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  int port() {
    return server.actualPort();
  }

  List<Received> on(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  private void handle(HttpServerRequest request) {
    request
        .body()
        .subscribe()
        .with(body -> {
          Map<String, List<String>> headers = new HashMap<>();
          request
              .headers()
              .forEach(h ->
                  headers
                      .computeIfAbsent(h.getKey().toLowerCase(), k -> new java.util.ArrayList<>())
                      .add(h.getValue()));
          String path = request.path();
          String serverName = request.connection().indicatedServerName();
          received.add(new Received(path, headers, body.toString(), Instant.now(), serverName));
          int status;
          synchronized (answers) {
            int n = counts.merge(path, 1, Integer::sum);
            status = answers.getOrDefault(path, k -> 404).applyAsInt(n);
          }
          if (status == 0) {
            return; // never answers
          }
          if (status >= 300 && status < 400) {
            request
                .response()
                .putHeader("Location", "/followed")
                .setStatusCode(status)
                .endAndForget();
            return;
          }
          request.response().setStatusCode(status).endAndForget("ok");
        });
  }

  @Override
  public void close() {
    server.close().await().atMost(Duration.ofSeconds(10));
    vertx.close().await().atMost(Duration.ofSeconds(10));
  }

  static Duration between(Received first, Received second) {
    return Duration.between(first.at(), second.at());
  }
}
