package io.llmq.worker.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhooks from the worker to a local receiver (plain http on loopback, which the test profile's
 * {@code llmq.webhooks.allow-insecure} permits), verified with the Standard Webhooks reference
 * library. Test schedule: retries after 300, 600 and 900 ms (±20 %), a 1 s attempt timeout.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class WebhookDeliveryTest {

  private final TestJobs jobs = new TestJobs();
  private final ObjectMapper json = new ObjectMapper();
  private WebhookReceiver receiver;

  @BeforeEach
  void startReceiver() {
    receiver = new WebhookReceiver();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  private List<Map<String, Object>> attempts(UUID job) {
    return jobs.rows(
        "SELECT status_code, error, latency_ms, attempted_at FROM webhook_attempts WHERE job_id = '"
            + job
            + "' ORDER BY id");
  }

  /** The state of the job's delivery; null while the job runs (it has none yet). */
  private String deliveryState(UUID job) {
    List<Map<String, Object>> rows =
        jobs.rows("SELECT state FROM webhook_deliveries WHERE job_id = '" + job + "'");
    return rows.isEmpty() ? null : (String) rows.getFirst().get("state");
  }

  @Test
  void aJobsEndIsPostedSignedWithItsTenantsSecretAndNamedAfterItsTerminalEvent() throws Exception {
    receiver.answer("/hook", n -> 200);
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "tell the hook", receiver.url("/hook"));
    jobs.update("UPDATE jobs SET priority = 2 WHERE id = '" + job + "'");
    jobs.publish(job, tenant);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !receiver.on("/hook").isEmpty());

    WebhookReceiver.Received hook = receiver.on("/hook").getFirst();
    // Standard Webhooks' own verifier, with the tenant's secret: throws if anything is off.
    new Webhook(jobs.webhookSecret(tenant)).verify(hook.body(), hook.headers());
    Object terminal = jobs.row(job).get("terminal_event_id");
    assertEquals(job + "." + terminal, hook.header("webhook-id"));
    JsonNode body = json.readTree(hook.body());
    assertEquals("job.succeeded", body.path("type").asText());
    assertEquals(job.toString(), body.path("data").path("id").asText());
    assertEquals("succeeded", body.path("data").path("status").asText());
    assertEquals("low", body.path("data").path("priority").asText(), "the job as GET shows it");
    assertTrue(body.path("data").path("result").isObject());
    assertTrue(body.path("timestamp").asText().endsWith("Z"));
    assertEquals("application/json", hook.header("content-type"));

    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "succeeded".equals(deliveryState(job)));
    List<Map<String, Object>> attempts = attempts(job);
    assertEquals(1, attempts.size());
    assertEquals(200, attempts.getFirst().get("status_code"));
    assertNull(attempts.getFirst().get("error"));
  }

  @Test
  void aReceiverThatFailsAtFirstIsRetriedOnTheScheduleWithTheSameMessage() throws Exception {
    receiver.answer("/flaky", n -> n <= 2 ? 500 : 204);
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "retry me", receiver.url("/flaky"));
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "succeeded".equals(deliveryState(job)));

    List<WebhookReceiver.Received> hooks = receiver.on("/flaky");
    assertEquals(3, hooks.size());
    for (WebhookReceiver.Received hook : hooks) {
      assertEquals(hooks.getFirst().header("webhook-id"), hook.header("webhook-id"));
      assertEquals(hooks.getFirst().body(), hook.body(), "every attempt sends the same bytes");
      new Webhook(jobs.webhookSecret(tenant)).verify(hook.body(), hook.headers());
    }
    // 300 ms then 600 ms, each within ±20 %: never sooner than 240 and 480 ms.
    assertTrue(WebhookReceiver.between(hooks.get(0), hooks.get(1)).toMillis() >= 240);
    assertTrue(WebhookReceiver.between(hooks.get(1), hooks.get(2)).toMillis() >= 480);
    List<Map<String, Object>> attempts = attempts(job);
    assertEquals(List.of(500, 500, 204), attempts.stream().map(a -> a.get("status_code")).toList());
    assertEquals("HTTP 500", attempts.getFirst().get("error"));
  }

  @Test
  void aDeliveryIsGivenUpAfterTheLastScheduledAttempt() {
    receiver.answer("/down", n -> 503);
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "nobody listens", receiver.url("/down"));
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "failed".equals(deliveryState(job)));
    // One attempt plus one per scheduled wait (three in the test schedule).
    assertEquals(4, receiver.on("/down").size());
    assertEquals(4, attempts(job).size());
  }

  @Test
  void aRedirectIsAFailedAttemptAndIsNotFollowed() {
    receiver.answer("/moved", n -> n == 1 ? 302 : 200).answer("/followed", n -> 200);
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "moved away", receiver.url("/moved"));
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "succeeded".equals(deliveryState(job)));
    assertEquals(List.of(302, 200), attempts(job).stream().map(a -> a.get("status_code")).toList());
    assertTrue(receiver.on("/followed").isEmpty(), "the redirect was not followed");
  }

  @Test
  void aReceiverThatNeverAnswersTimesOut() {
    receiver.answer("/silent", n -> n == 1 ? 0 : 200);
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "silence", receiver.url("/silent"));
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "succeeded".equals(deliveryState(job)));
    Map<String, Object> first = attempts(job).getFirst();
    assertNull(first.get("status_code"));
    assertEquals("No answer within the timeout.", first.get("error"));
    assertTrue((Integer) first.get("latency_ms") >= 1000, "the attempt waited its whole timeout");
  }

  @Test
  void aJobWithoutAWebhookGetsNoDelivery() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "llmq-sim", "no hook", 1);
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> jobs.row(job).get("terminal_event_id") != null);
    assertTrue(
        jobs.rows("SELECT id FROM webhook_deliveries WHERE job_id = '" + job + "'").isEmpty());
  }

  @Test
  void aDeliveryDueBeforeARestartIsSentFromItsStoredSchedule() {
    // As a crashed worker leaves it: the job ended and was announced, its delivery is due, and no
    // process holds anything of it in memory.
    receiver.answer("/later", n -> 200);
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "ended before the restart", receiver.url("/later"));
    // Its done event is numbered 7: set first, so that no announcement sweep numbers it meanwhile.
    jobs.update("UPDATE jobs SET terminal_event_id = 7 WHERE id = '" + job + "'");
    jobs.succeed(job, "ended");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !receiver.on("/later").isEmpty());
    assertEquals(job + ".7", receiver.on("/later").getFirst().header("webhook-id"));
  }
}
