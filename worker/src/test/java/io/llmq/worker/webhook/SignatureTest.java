package io.llmq.worker.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignatureTest {

  @Test
  void reproducesTheSpecificationsPublishedTestVector() {
    assertEquals(
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        Signature.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            "{\"test\": 2432232314}"));
  }

  @Test
  void theReferenceLibraryVerifiesOurSignaturesAndRefusesATamperedBody() throws Exception {
    String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
    long now = System.currentTimeMillis() / 1000;
    String body = "{\"type\":\"job.succeeded\",\"data\":{\"id\":\"x\"}}";
    String signature = Signature.sign(secret, "job.7", now, body);
    Map<String, List<String>> headers =
        Map.of(
            "webhook-id", List.of("job.7"),
            "webhook-timestamp", List.of(Long.toString(now)),
            "webhook-signature", List.of(signature));

    new Webhook(secret).verify(body, headers);
    assertThrows(
        WebhookVerificationException.class,
        () -> new Webhook(secret).verify(body.replace("x", "y"), headers));
  }
}
