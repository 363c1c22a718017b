package io.llmq.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.job.FailureCode;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Decides, once for every provider, what a failed call means: 429 is rate limited (with the wait
 * the provider asked for); 5xx, 529, 408, timeouts and broken connections are transient; a
 * context-length complaint is {@code context_length_exceeded}; any other 4xx is permanent. The
 * stored message keeps the provider's own explanation (shortened), never its raw body.
 */
public final class FailureClassifier {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_MESSAGE = 300;

  /** Anything shaped like a key (OpenAI's sk-…, Anthropic's sk-ant-…, bearer tokens). */
  private static final Pattern KEYISH =
      Pattern.compile("(?i)(sk-[A-Za-z0-9*_.-]{4,}|bearer\\s+\\S+|key-[A-Za-z0-9*_.-]{8,})");

  private FailureClassifier() {}

  public static ProviderException forStatus(int status, String body, RateLimitSnapshot limits) {
    String said = providerMessage(body);
    if (status == 429 && body != null && body.contains("insufficient_quota")) {
      // Out of credit, not out of rate: waiting does not help.
      return new ProviderException(
          FailureCode.UPSTREAM_REJECTED,
          "The provider account has no quota left (429)." + suffix(said),
          null,
          limits,
          status,
          false);
    }
    if (status == 429) {
      return new ProviderException(
          FailureCode.UPSTREAM_RATE_LIMITED,
          "The provider rate-limited the call (429)." + suffix(said),
          waitOf(limits),
          limits,
          status,
          false);
    }
    if (status >= 500 || status == 408 || status == 409) {
      return new ProviderException(
          FailureCode.UPSTREAM_ERROR,
          "The provider failed (" + status + ")." + suffix(said),
          limits.retryAfter(),
          limits,
          status,
          false);
    }
    if (status == 401 || status == 403) {
      // The provider's words here may quote the key; none of them are kept.
      return new ProviderException(
          FailureCode.UPSTREAM_REJECTED,
          "The provider refused llmq's credentials (" + status + "): check the provider's API key.",
          null,
          limits,
          status,
          false);
    }
    if (isContextLength(body)) {
      return new ProviderException(
          FailureCode.CONTEXT_LENGTH_EXCEEDED,
          "The request does not fit the model's context window." + suffix(said),
          null,
          limits,
          status,
          false);
    }
    return new ProviderException(
        FailureCode.UPSTREAM_REJECTED,
        "The provider rejected the request (" + status + ")." + suffix(said),
        null,
        limits,
        status,
        false);
  }

  /**
   * How long a 429 asks to wait: its {@code retry-after}, else the reset time of the exhausted
   * budget, else unknown.
   */
  static java.time.Duration waitOf(RateLimitSnapshot limits) {
    if (limits.retryAfter() != null) {
      return limits.retryAfter();
    }
    java.time.Duration wait = null;
    if (Long.valueOf(0).equals(limits.requestsRemaining()) && limits.requestsReset() != null) {
      wait = limits.requestsReset();
    }
    if (Long.valueOf(0).equals(limits.tokensRemaining())
        && limits.tokensReset() != null
        && (wait == null || limits.tokensReset().compareTo(wait) > 0)) {
      wait = limits.tokensReset();
    }
    return wait;
  }

  /**
   * Whether a failure happened on the way to the provider (connection refused or reset, a timeout)
   * rather than in llmq's own code, which must not pass for a provider's fault.
   */
  public static boolean isTransport(Throwable failure) {
    return failure instanceof IOException
        || failure instanceof TimeoutException
        || failure instanceof io.vertx.core.VertxException
        || failure.getClass().getName().equals("io.vertx.core.impl.NoStackTraceThrowable");
  }

  /** A call that failed below HTTP: connection refused or reset, or a timeout. */
  public static ProviderException forTransport(Throwable failure) {
    String what =
        failure instanceof TimeoutException
                || failure.getClass().getSimpleName().contains("Timeout")
            ? "timed out"
            : failure instanceof ConnectException ? "could not connect" : "lost its connection";
    return new ProviderException(
        FailureCode.UPSTREAM_ERROR,
        "The provider call " + what + ".",
        null,
        RateLimitSnapshot.NONE,
        0,
        "timed out".equals(what));
  }

  /** A 2xx whose body could not be understood. */
  public static ProviderException malformed() {
    return new ProviderException(
        FailureCode.UPSTREAM_ERROR,
        "The provider answered with a response llmq cannot read.",
        null,
        RateLimitSnapshot.NONE,
        200,
        false);
  }

  /** A streamed answer that stopped before the provider said it was complete. */
  public static ProviderException incompleteStream() {
    return new ProviderException(
        FailureCode.UPSTREAM_ERROR,
        "The provider's stream ended before it was complete.",
        null,
        RateLimitSnapshot.NONE,
        200,
        false);
  }

  /**
   * Whether an error body says the request is too long for the model: OpenAI's error code {@code
   * context_length_exceeded} ("This model's maximum context length is …"), Anthropic's "prompt is
   * too long: … tokens > … maximum" and "input length and `max_tokens` exceed context limit: … + …
   * > …", and the "context window" wording of OpenAI-compatible servers.
   */
  public static boolean isContextLength(String body) {
    if (body == null) {
      return false;
    }
    String text = body.toLowerCase(Locale.ROOT);
    return text.contains("context_length_exceeded")
        || text.contains("maximum context length")
        || text.contains("prompt is too long")
        || text.contains("exceed context limit")
        || text.contains("context window");
  }

  private static String providerMessage(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      JsonNode error = JSON.readTree(body).path("error");
      String message = error.isTextual() ? error.textValue() : error.path("message").asText(null);
      if (message == null || message.isBlank()) {
        return null;
      }
      String safe = KEYISH.matcher(message).replaceAll("[redacted]");
      return safe.length() > MAX_MESSAGE ? safe.substring(0, MAX_MESSAGE) + "…" : safe;
    } catch (IOException e) {
      return null;
    }
  }

  private static String suffix(String said) {
    return said == null ? "" : " The provider said: " + said;
  }
}
