package io.llmq.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A webhook endpoint on loopback that answers every delivery 204 and keeps it: its {@code
 * webhook-id}, the job it is about, and its headers and body, for the signature check.
 */
final class WebhookReceiver implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One POST received. */
  record Delivery(String webhookId, String jobId, String type, HttpHeaders headers, String body) {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(4);
  private final Map<String, List<Delivery>> byJob = new ConcurrentHashMap<>();

  WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    server.createContext("/hooks", this::receive);
    server.setExecutor(threads);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
  }

  /** Every delivery received for the job, in arrival order. */
  List<Delivery> of(String jobId) {
    return byJob.getOrDefault(jobId, List.of());
  }

  int deliveries() {
    return byJob.values().stream().mapToInt(List::size).sum();
  }

  private void receive(HttpExchange exchange) throws IOException {
    try (exchange) {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      HttpHeaders headers = HttpHeaders.of(exchange.getRequestHeaders(), (name, value) -> true);
      JsonNode event = JSON.readTree(body);
      String jobId = event.path("data").path("id").asText();
      byJob
          .computeIfAbsent(jobId, id -> new CopyOnWriteArrayList<>())
          .add(
              new Delivery(
                  headers.firstValue("webhook-id").orElse(""),
                  jobId,
                  event.path("type").asText(),
                  headers,
                  body));
      exchange.sendResponseHeaders(204, -1);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
