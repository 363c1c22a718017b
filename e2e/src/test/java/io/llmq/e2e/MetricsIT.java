package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16's metrics as the packaged apps serve them on {@code /q/metrics} (README, "Metrics"):
 * after one job through the simulated OpenAI provider with a webhook, the series the dashboard and
 * the alert rules in {@code docker/} query are there, with their labels and histogram buckets.
 */
class MetricsIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static WebhookReceiver hooks;
  private static LlmqProcesses system;
  private static String key;

  @BeforeAll
  static void start() throws Exception {
    hooks = new WebhookReceiver();
    system =
        new LlmqProcesses()
            .with("LLMQ_WEBHOOKS_ALLOW_INSECURE", "true")
            .with("LLMQ_METRICS_BACKLOG_INTERVAL", "1s");
    system.start();
    RestAssured.port = system.apiPort();
    key = system.newTenant("metrics").key();
  }

  @AfterAll
  static void stop() throws Exception {
    if (system != null) {
      system.close();
    }
    if (hooks != null) {
      hooks.close();
    }
  }

  private static String metrics(int port) {
    return given().port(port).get("/q/metrics").then().statusCode(200).extract().asString();
  }

  /** The sum of the samples of {@code name} whose labels contain every one of {@code labels}. */
  private static double sample(String text, String name, String... labels) {
    return text.lines()
        .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
        .filter(line -> List.of(labels).stream().allMatch(line::contains))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static boolean has(String text, String name, String... labels) {
    return text.lines()
        .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
        .anyMatch(line -> List.of(labels).stream().allMatch(line::contains));
  }

  @Test
  void aJobShowsInThePackagedAppsMetrics() {
    String job =
        given()
            .header("Authorization", "Bearer " + key)
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "request",
                    Map.of(
                        "model",
                        "gpt-4o-mini",
                        "max_tokens",
                        20,
                        "messages",
                        List.of(
                            Map.of("role", "user", "content", "count me " + UUID.randomUUID()))),
                    "webhook_url",
                    hooks.url()))
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    Awaitility.await().atMost(WAIT).until(() -> !hooks.of(job).isEmpty());
    int worker = system.workerPorts().getFirst();
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> {
          String text = metrics(worker);
          return sample(text, "llmq_webhook_deliveries_total", "outcome=\"delivered\"") >= 1
              && has(text, "llmq_outbox_backlog")
              && has(text, "llmq_queue_messages", "queue=\"jobs\"");
        });
    String text = metrics(worker);
    assertTrue(
        sample(
                text,
                "llmq_provider_responses_total",
                "provider=\"openai\"",
                "model=\"gpt-4o-mini\"",
                "status_class=\"2xx\"")
            >= 1,
        "responses by status class");
    assertTrue(
        sample(
                text,
                "llmq_provider_call_seconds_count",
                "provider=\"openai\"",
                "model=\"gpt-4o-mini\"",
                "outcome=\"ok\"")
            >= 1,
        "provider call latency");
    assertTrue(
        has(text, "llmq_provider_call_seconds_bucket", "provider=\"openai\"", "le=\"+Inf\""),
        "provider call latency has histogram buckets");
    assertTrue(
        sample(text, "llmq_jobs_finished_total", "outcome=\"succeeded\"") >= 1, "jobs finished");
    assertTrue(has(text, "llmq_queue_messages", "queue=\"dead_letter\""), "dead-letter depth");
    assertTrue(has(text, "llmq_outbox_oldest_seconds"), "outbox age");
    assertTrue(sample(text, "llmq_tokens_total", "model=\"gpt-4o-mini\"") > 0, "tokens");

    String api = metrics(system.apiPort());
    assertTrue(
        has(api, "http_server_requests_seconds_bucket", "method=\"POST\"", "uri=\"/v1/jobs\""),
        "submit latency has histogram buckets");
    assertTrue(has(api, "llmq_sse_streams"), "SSE subscribers");
  }
}
