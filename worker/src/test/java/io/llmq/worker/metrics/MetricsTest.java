package io.llmq.worker.metrics;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.llmq.worker.provider.Samples;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metrics of issue 16 on /q/metrics after real jobs: one on an OpenAI-compatible provider (a
 * local server that answers 429 first, then a stream), one on the simulator that is rate limited,
 * and one whose webhook is delivered. Names and labels as docs/metrics-contract (README, Metrics).
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
@TestProfile(MetricsProfile.class)
class MetricsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final AtomicInteger CALLS = new AtomicInteger();
  private static final AtomicInteger HOOKS = new AtomicInteger();
  private static Vertx vertx;

  private final TestJobs jobs = new TestJobs();

  @BeforeAll
  static void startServer() {
    vertx = Vertx.vertx();
    vertx
        .createHttpServer()
        .requestHandler(request ->
            request
                .body()
                .subscribe()
                .with(body -> {
                  if (request.path().equals("/hook")) {
                    HOOKS.incrementAndGet();
                    request.response().setStatusCode(204).endAndForget();
                  } else if (CALLS.incrementAndGet() == 1) {
                    request
                        .response()
                        .setStatusCode(429)
                        .putHeader("Content-Type", "application/json")
                        .putHeader("retry-after-ms", "200")
                        .endAndForget(Samples.text("openai/error-429.json"));
                  } else {
                    request
                        .response()
                        .putHeader("Content-Type", "text/event-stream")
                        .endAndForget(Buffer.buffer(Samples.bytes("openai/stream-text.txt")));
                  }
                }))
        .listen(MetricsProfile.PORT)
        .await()
        .atMost(WAIT);
  }

  @AfterAll
  static void stopServer() {
    vertx.close().await().atMost(WAIT);
  }

  private void awaitStatus(UUID job, String status) {
    Awaitility.await().atMost(WAIT).until(() -> status.equals(jobs.status(job)));
  }

  @Test
  void realJobsShowInTheMetricsWithTheirLabelsAndHistogramBuckets() {
    UUID tenant = jobs.tenant();
    jobs.update("UPDATE tenants SET monthly_budget_usd = 10 WHERE id = '" + tenant + "'");

    UUID http = jobs.queued(tenant, "mt-model", "first a 429, then an answer", 3);
    jobs.publish(http, tenant);
    awaitStatus(http, "succeeded");
    UUID limited =
        jobs.queued(
            tenant,
            "llmq-sim",
            "always 429 [[sim fail=upstream_rate_limited]] [[sim retry_after_ms=100]]",
            2);
    jobs.publish(limited, tenant);
    awaitStatus(limited, "failed");
    UUID hooked =
        jobs.queuedWithWebhook(
            tenant, "tell the hook", "http://127.0.0.1:" + MetricsProfile.PORT + "/hook");
    jobs.publish(hooked, tenant);
    awaitStatus(hooked, "succeeded");
    Awaitility.await().atMost(WAIT).until(() -> HOOKS.get() > 0);
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () -> value(metrics(), "llmq_webhook_deliveries_total", "outcome=\"delivered\"") > 0);

    String text = metrics();
    String mt = "provider=\"mt-http\"";
    String model = "model=\"mt-model\"";
    // The provider answered 429 once, then 200: both counted, the retry and the pause too.
    assertEquals(
        1.0, value(text, "llmq_provider_responses_total", mt, model, "status_class=\"429\""));
    assertEquals(
        1.0, value(text, "llmq_provider_responses_total", mt, model, "status_class=\"2xx\""));
    assertEquals(1.0, value(text, "llmq_retries_total", mt, "reason=\"rate_limited\""));
    assertEquals(1.0, value(text, "llmq_governor_pauses_total", mt));
    // Latency and time to first token as histograms, per provider and model.
    assertEquals(1.0, value(text, "llmq_provider_call_seconds_count", mt, model, "outcome=\"ok\""));
    assertEquals(
        1.0, value(text, "llmq_provider_call_seconds_count", mt, model, "outcome=\"error\""));
    assertEquals(
        1.0,
        value(
            text, "llmq_provider_call_seconds_bucket", mt, model, "outcome=\"ok\"", "le=\"+Inf\""));
    assertTrue(buckets(text, "llmq_provider_call_seconds_bucket", mt, "outcome=\"ok\"") >= 10);
    assertEquals(1.0, value(text, "llmq_provider_ttft_seconds_count", mt, model));
    assertTrue(buckets(text, "llmq_provider_ttft_seconds_bucket", mt, model) >= 10);
    assertTrue(buckets(text, "llmq_governor_wait_seconds_bucket", "provider=\"simulated\"") >= 10);
    // Two calls through mt-http's waiting room: each wait timed once, at once or at its grant.
    assertEquals(2.0, value(text, "llmq_governor_wait_seconds_count", mt));
    assertTrue(
        buckets(text, "llmq_webhooks_attempts_seconds_bucket", "outcome=\"delivered\"") >= 10);

    // The simulator's 429s: two answers, one retry, then the job failed.
    String sim = "provider=\"simulated\"";
    assertEquals(
        2.0,
        value(
            text,
            "llmq_provider_responses_total",
            sim,
            "model=\"llmq-sim\"",
            "status_class=\"429\""));
    assertEquals(1.0, value(text, "llmq_retries_total", sim, "reason=\"rate_limited\""));
    assertTrue(value(text, "llmq_provider_responses_total", sim, "status_class=\"2xx\"") >= 1);

    assertTrue(value(text, "llmq_webhook_deliveries_total", "outcome=\"delivered\"") >= 1);

    // The budget's used share, for this tenant with a budget: a little of 10 USD.
    double used = value(text, "llmq_budget_used_ratio", "tenant=\"" + tenant + "\"");
    assertTrue(used > 0 && used < 0.01, "used ratio " + used);

    // Gauges refreshed by their scheduled task (every second here): the failed job's message
    // went to the dead-letter queue, and an outbox row due in an hour waits.
    UUID unpublished = UUID.randomUUID();
    jobs.update(
        "INSERT INTO job_outbox (job_id, tenant_id, available_at) VALUES ('"
            + unpublished
            + "', '"
            + tenant
            + "', now() + interval '1 hour')");
    try {
      Awaitility.await()
          .atMost(WAIT)
          .until(() -> {
            String now = metrics();
            return value(now, "llmq_queue_messages", "queue=\"dead_letter\"") >= 1
                && value(now, "llmq_outbox_backlog") >= 1;
          });
    } finally {
      jobs.update("DELETE FROM job_outbox WHERE job_id = '" + unpublished + "'");
    }
    text = metrics();
    assertTrue(value(text, "llmq_queue_messages", "queue=\"jobs\"") >= 0);
    assertTrue(value(text, "llmq_outbox_oldest_seconds") >= 0);
    double utilization = value(text, "llmq_governor_utilization", "bucket=\"provider:mt-http\"");
    assertTrue(utilization >= 0 && utilization <= 1, "utilization " + utilization);
  }

  private static String metrics() {
    return given().get("/q/metrics").then().statusCode(200).extract().asString();
  }

  /** The matching series' lines, each carrying every label given. */
  private static List<Double> lines(String text, String name, String... labels) {
    Matcher matcher =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)").matcher(text);
    List<Double> found = new ArrayList<>();
    while (matcher.find()) {
      String set = matcher.group(1) == null ? "" : matcher.group(1);
      boolean all = true;
      for (String label : labels) {
        all &= set.contains(label);
      }
      if (all) {
        found.add(Double.parseDouble(matcher.group(2)));
      }
    }
    return found;
  }

  /** The sum of the matching series; -1 when there is none. */
  private static double value(String text, String name, String... labels) {
    List<Double> found = lines(text, name, labels);
    return found.isEmpty() ? -1 : found.stream().mapToDouble(Double::doubleValue).sum();
  }

  private static int buckets(String text, String name, String... labels) {
    return lines(text, name, labels).size();
  }
}
