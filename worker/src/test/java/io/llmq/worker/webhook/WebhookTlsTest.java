package io.llmq.worker.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.standardwebhooks.Webhook;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.webhook.WebhookTargets;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhooks over TLS to a local https receiver. The URL names {@code hooks.llmq.test}, which only
 * this test's resolver knows (it answers 127.0.0.1; loopback is allowed by the test profile's
 * {@code allow-insecure}): the sender connects to that checked address and must still present and
 * check the name, as it does for a public host. The sender trusts only the two certificates of
 * {@link WebhookTlsProfile}; all three are self-signed and made when the tests run.
 */
@QuarkusTest
@TestProfile(WebhookTlsProfile.class)
@QuarkusTestResource(LlmqTestResource.class)
class WebhookTlsTest {

  private final TestJobs jobs = new TestJobs();

  @BeforeEach
  void resolveTheTestHost() {
    WebhookTargets.Resolver resolver =
        host ->
            TestCertificates.HOST.equals(host)
                ? new InetAddress[] {InetAddress.getByName("127.0.0.1")}
                : InetAddress.getAllByName(host);
    QuarkusMock.installMockForType(new WebhookTargets(true, resolver), WebhookTargets.class);
  }

  private static String url(WebhookReceiver receiver) {
    return "https://" + TestCertificates.HOST + ":" + receiver.port() + "/hook";
  }

  private static WebhookReceiver receiverWith(String certificate) {
    return WebhookReceiver.tls(TestCertificates.keyStore(certificate), TestCertificates.PASSWORD);
  }

  private List<Map<String, Object>> attempts(UUID job) {
    return jobs.rows(
        "SELECT status_code, error FROM webhook_attempts WHERE job_id = '" + job + "' ORDER BY id");
  }

  private String deliveryState(UUID job) {
    List<Map<String, Object>> rows =
        jobs.rows("SELECT state FROM webhook_deliveries WHERE job_id = '" + job + "'");
    return rows.isEmpty() ? null : (String) rows.getFirst().get("state");
  }

  /** Runs a job whose webhook goes to the receiver, until its delivery is settled either way. */
  private UUID deliverTo(WebhookReceiver receiver, UUID tenant) {
    UUID job = jobs.queuedWithWebhook(tenant, "over tls", url(receiver));
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> {
          String state = deliveryState(job);
          return "succeeded".equals(state) || "failed".equals(state);
        });
    return job;
  }

  @Test
  void aTrustedCertificateForTheHostGetsTheSignedWebhookWithTheHostAsSni() throws Exception {
    try (WebhookReceiver receiver = receiverWith(TestCertificates.TRUSTED)) {
      receiver.answer("/hook", n -> 200);
      UUID tenant = jobs.tenant();
      UUID job = deliverTo(receiver, tenant);

      assertEquals("succeeded", deliveryState(job));
      List<Map<String, Object>> attempts = attempts(job);
      assertEquals(1, attempts.size());
      assertEquals(200, attempts.getFirst().get("status_code"));
      assertNull(attempts.getFirst().get("error"));
      WebhookReceiver.Received hook = receiver.on("/hook").getFirst();
      new Webhook(jobs.webhookSecret(tenant)).verify(hook.body(), hook.headers());
      assertEquals(TestCertificates.HOST, hook.serverName(), "SNI names the URL's host");
      assertEquals(
          TestCertificates.HOST + ":" + receiver.port(), hook.header("host"), "so does Host");
    }
  }

  @Test
  void aCertificateForAnotherNameIsAFailedAttemptAndIsRetried() {
    try (WebhookReceiver receiver = receiverWith(TestCertificates.OTHER_NAME)) {
      receiver.answer("/hook", n -> 200);
      UUID job = deliverTo(receiver, jobs.tenant());

      assertEquals("failed", deliveryState(job), "given up after the whole schedule");
      List<Map<String, Object>> attempts = attempts(job);
      assertEquals(4, attempts.size(), "one attempt and three retries");
      for (Map<String, Object> attempt : attempts) {
        assertNull(attempt.get("status_code"));
        assertEquals(
            "The receiver's TLS certificate is not valid for the webhook_url's host name.",
            attempt.get("error"));
      }
      assertTrue(receiver.on("/hook").isEmpty(), "nothing was sent to the wrong server");
    }
  }

  @Test
  void anUntrustedCertificateIsAFailedAttemptAndIsRetried() {
    try (WebhookReceiver receiver = receiverWith(TestCertificates.UNTRUSTED)) {
      receiver.answer("/hook", n -> 200);
      UUID job = deliverTo(receiver, jobs.tenant());

      assertEquals("failed", deliveryState(job), "given up after the whole schedule");
      List<Map<String, Object>> attempts = attempts(job);
      assertEquals(4, attempts.size(), "one attempt and three retries");
      for (Map<String, Object> attempt : attempts) {
        assertNull(attempt.get("status_code"));
        assertEquals(
            "The receiver's TLS certificate is not trusted (unknown issuer, or expired).",
            attempt.get("error"));
      }
      assertTrue(receiver.on("/hook").isEmpty(), "nothing was sent to an untrusted server");
    }
  }
}
