package io.llmq.worker.webhook;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The test settings with {@code llmq.webhooks.trust-certificates} naming two of the test's
 * certificates (one for the webhook host, one for another name), made when the profile starts, and
 * a generous attempt timeout.
 */
public class WebhookTlsProfile implements QuarkusTestProfile {

  @Override
  public Map<String, String> getConfigOverrides() {
    String trusted =
        TestCertificates.certificate(TestCertificates.TRUSTED)
            + ","
            + TestCertificates.certificate(TestCertificates.OTHER_NAME);
    // The first TLS handshake of the JVM warms up its crypto, which on a busy machine can outlast
    // the test profile's 1 s attempt timeout; these tests are about certificates, not time.
    return Map.of(
        "llmq.webhooks.trust-certificates", trusted,
        "llmq.webhooks.timeout", "10s",
        "%test.llmq.webhooks.timeout", "10s");
  }
}
