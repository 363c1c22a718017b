package io.llmq.worker.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): {@code v1,} and the base64 of
 * HMAC-SHA256 over {@code "{webhook-id}.{webhook-timestamp}.{body}"}, keyed with the base64-decoded
 * part of the tenant's secret after {@code whsec_}. Receivers verify it with any Standard Webhooks
 * library and the same secret.
 */
public final class Signature {

  private static final String PREFIX = "whsec_";

  private Signature() {}

  /** The {@code webhook-signature} header value. */
  public static String sign(String secret, String id, long timestamp, String body) {
    String encoded = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
    byte[] key = Base64.getDecoder().decode(encoded);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] digest =
          mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is always available", e);
    }
  }
}
