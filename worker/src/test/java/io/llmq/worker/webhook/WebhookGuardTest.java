package io.llmq.worker.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.ProductionLikeProfile;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The SSRF guard at send time, with the guard on: a URL that passed the submit check may point
 * somewhere else by the time the job ends (DNS changed), so each attempt checks again and never
 * connects to a refused address. Here the URLs are written straight into the job rows, as a changed
 * DNS answer would make them.
 */
@QuarkusTest
@TestProfile(ProductionLikeProfile.class)
@QuarkusTestResource(LlmqTestResource.class)
class WebhookGuardTest {

  private final TestJobs jobs = new TestJobs();

  private Map<String, Object> firstAttempt(String url) {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queuedWithWebhook(tenant, "guarded", url);
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() ->
            !jobs.rows("SELECT id FROM webhook_attempts WHERE job_id = '" + job + "'").isEmpty());
    return jobs.rows(
            "SELECT status_code, error FROM webhook_attempts WHERE job_id = '"
                + job
                + "' ORDER BY id")
        .getFirst();
  }

  @Test
  void aNameThatResolvesToLoopbackIsNeverConnectedTo() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      receiver.answer("/hook", n -> 200);
      // "localhost" resolves to 127.0.0.1 through the system resolver (/etc/hosts).
      Map<String, Object> attempt = firstAttempt("https://localhost:" + receiver.port() + "/hook");
      assertNull(attempt.get("status_code"));
      assertEquals(
          "The webhook_url points to a loopback address, which webhooks may not target.",
          attempt.get("error"));
      assertTrue(receiver.on("/hook").isEmpty());
    }
  }

  @Test
  void privateAndMetadataAddressesAreRefused() {
    assertEquals(
        "The webhook_url points to a private address, which webhooks may not target.",
        firstAttempt("https://10.20.30.40/hook").get("error"));
    assertEquals(
        "The webhook_url points to a cloud metadata address, which webhooks may not target.",
        firstAttempt("https://169.254.169.254/latest/meta-data").get("error"));
  }

  @Test
  void plainHttpIsRefused() {
    assertEquals(
        "The webhook_url must be an absolute https URL.",
        firstAttempt("http://93.184.216.34/hook").get("error"));
  }
}
