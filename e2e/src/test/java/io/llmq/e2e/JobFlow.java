package io.llmq.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Jobs with webhooks submitted in the background at a steady pace while a fault is injected: two in
 * three on {@code gpt-4o-mini} (through the OpenAI adapter to the simulator, priced, a call of
 * about two seconds), one in three on the built-in {@code llmq-sim} provider. Each has a prompt of
 * its own, so none is answered from the cache. Keeps what the api answered: the ids it accepted
 * (202) and how many submits it refused or left unanswered, by reason.
 */
final class JobFlow implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
  private final URI submit;
  private final String key;
  private final String webhookUrl;
  private final AtomicInteger sequence = new AtomicInteger();
  private final List<String> accepted = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
  private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
  private ScheduledFuture<?> pace;
  private String phase = "";

  JobFlow(int apiPort, String key, String webhookUrl) {
    this.submit = URI.create("http://127.0.0.1:" + apiPort + "/v1/jobs");
    this.key = key;
    this.webhookUrl = webhookUrl;
  }

  /** Starts submitting {@code perSecond} jobs a second, labelled with {@code phase}. */
  synchronized void start(String phase, double perSecond) {
    stop();
    this.phase = phase;
    accepted.clear();
    refused.clear();
    long period = Math.round(1_000_000 / perSecond);
    pace = clock.scheduleAtFixedRate(this::submitNext, 0, period, TimeUnit.MICROSECONDS);
  }

  /** Stops submitting and waits for the submits on their way to be answered. */
  synchronized void stop() {
    if (pace == null) {
      return;
    }
    pace.cancel(false);
    pace = null;
    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
        .completeOnTimeout(null, 60, TimeUnit.SECONDS)
        .join();
  }

  /** The jobs accepted (202) since the last {@link #start}. */
  List<String> accepted() {
    return List.copyOf(accepted);
  }

  /** Submits that were not accepted since the last start, by status code or failure. */
  Map<String, Integer> refused() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    refused.forEach((reason, count) -> counts.put(reason, count.get()));
    return counts;
  }

  /** Submits one job now and answers its id; the submission must be accepted. */
  String submit(Map<String, Object> body) throws IOException, InterruptedException {
    HttpResponse<String> answer = http.send(request(body), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 202) {
      throw new IllegalStateException("submit answered " + answer.statusCode() + answer.body());
    }
    return JSON.readTree(answer.body()).path("id").asText();
  }

  /**
   * A {@code gpt-4o-mini} job with a webhook and a prompt of its own, answered with up to {@code
   * maxTokens} tokens, with the fields of {@code extra}.
   */
  Map<String, Object> pricedJob(String label, int maxTokens, Map<String, Object> extra) {
    Map<String, Object> body = new java.util.HashMap<>(extra);
    body.put(
        "request",
        Map.of(
            "model",
            "gpt-4o-mini",
            "max_tokens",
            maxTokens,
            "messages",
            List.of(Map.of("role", "user", "content", label + " " + UUID.randomUUID()))));
    body.put("webhook_url", webhookUrl);
    body.put("max_attempts", extra.getOrDefault("max_attempts", 10));
    return body;
  }

  private Map<String, Object> simulatedJob(String label) {
    return Map.of(
        "request",
        Map.of(
            "model",
            "llmq-sim",
            "messages",
            List.of(
                Map.of(
                    "role",
                    "user",
                    "content",
                    label + " " + UUID.randomUUID() + " [[sim delay_ms=1500]]"))),
        "webhook_url",
        webhookUrl,
        "max_attempts",
        10);
  }

  private void submitNext() {
    int n = sequence.incrementAndGet();
    String label = "fault " + phase + " " + n;
    Map<String, Object> body = n % 3 == 0 ? simulatedJob(label) : pricedJob(label, 40, Map.of());
    HttpRequest request;
    try {
      request = request(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    CompletableFuture<?> sent =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
            .handle((answer, failure) -> {
              if (failure != null) {
                count(failure.getClass().getSimpleName());
              } else if (answer.statusCode() == 202) {
                try {
                  accepted.add(JSON.readTree(answer.body()).path("id").asText());
                } catch (IOException e) {
                  count("unreadable 202");
                }
              } else {
                count(String.valueOf(answer.statusCode()));
              }
              return null;
            });
    inFlight.add(sent);
    sent.whenComplete((ignored, failure) -> inFlight.remove(sent));
  }

  private void count(String reason) {
    refused.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
  }

  private HttpRequest request(Map<String, Object> body) throws IOException {
    return HttpRequest.newBuilder(submit)
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
        .build();
  }

  @Override
  public void close() {
    stop();
    clock.shutdownNow();
  }
}
