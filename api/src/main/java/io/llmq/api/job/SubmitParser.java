package io.llmq.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.context.ContextPolicy;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.job.Priority;
import io.llmq.common.request.CanonicalJson;
import io.llmq.common.webhook.WebhookTargets;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Turns a {@code POST /v1/jobs} body into a {@link NewJob}, or a 400 that names the field. */
@ApplicationScoped
class SubmitParser {

  /** Attempts a job gets when the submission does not say. */
  static final int DEFAULT_MAX_ATTEMPTS = 5;

  private static final Set<String> FIELDS =
      Set.of(
          "request",
          "webhook_url",
          "cache",
          "metadata",
          "deadline_seconds",
          "max_attempts",
          "priority",
          "context_policy");
  private static final Set<String> CACHE_MODES = Set.of("default", "bypass", "refresh");
  private static final int MAX_METADATA = 16;
  private static final int MAX_METADATA_KEY = 64;
  private static final int MAX_METADATA_VALUE = 512;
  private static final int MAX_URL = 2048;
  private static final long MAX_DEADLINE_SECONDS = 7 * 24 * 3600;
  private static final int MAX_IDEMPOTENCY_KEY = 255;

  private final ChatRequestValidator requests;
  private final WebhookTargets targets;

  SubmitParser(ChatRequestValidator requests, WebhookTargets targets) {
    this.requests = requests;
    this.targets = targets;
  }

  NewJob parse(JsonNode body, UUID tenantId, UUID keyId, String idempotencyKey) {
    Fields.object(body, "");
    Fields.onlyKnown(body, "", FIELDS);
    ObjectNode request = requests.validate(body.get("request"));
    String cache = Fields.text(body, "", "cache", 16, false);
    if (cache != null && !CACHE_MODES.contains(cache)) {
      throw ProblemException.invalid("'cache' must be default, bypass or refresh.");
    }
    Long deadline = Fields.integer(body, "", "deadline_seconds", 1, MAX_DEADLINE_SECONDS);
    Long attempts = Fields.integer(body, "", "max_attempts", 1, 10);
    Priority priority = priority(body);
    ContextPolicy contextPolicy = ContextPolicy.of(body);
    return new NewJob(
        UUID.randomUUID(),
        tenantId,
        keyId,
        request.get("model").textValue(),
        CanonicalJson.write(request),
        cache == null ? "default" : cache,
        metadata(body.get("metadata")),
        webhookUrl(Fields.text(body, "", "webhook_url", MAX_URL, false)),
        deadline == null ? null : deadline.intValue(),
        attempts == null ? DEFAULT_MAX_ATTEMPTS : attempts.intValue(),
        priority,
        idempotencyKey(idempotencyKey),
        CanonicalJson.sha256(body),
        request,
        contextPolicy,
        0,
        null);
  }

  /**
   * The job's {@code priority}: {@code high}, {@code normal} or {@code low}, in lower case as SPEC
   * spells them; absent or {@code null} is {@link Priority#DEFAULT}, as for every optional field.
   */
  private static Priority priority(JsonNode body) {
    JsonNode value = body.get("priority");
    if (value == null || value.isNull()) {
      return Priority.DEFAULT;
    }
    if (value.isTextual()) {
      for (Priority priority : Priority.values()) {
        if (priority.wire().equals(value.textValue())) {
          return priority;
        }
      }
    }
    throw ProblemException.invalid("'priority' must be high, normal or low.");
  }

  private static String metadata(JsonNode metadata) {
    if (metadata == null || metadata.isNull()) {
      return "{}";
    }
    Fields.object(metadata, "metadata");
    if (metadata.size() > MAX_METADATA) {
      throw ProblemException.invalid("'metadata' holds more than " + MAX_METADATA + " pairs.");
    }
    Iterator<Map.Entry<String, JsonNode>> pairs = metadata.fields();
    while (pairs.hasNext()) {
      Map.Entry<String, JsonNode> pair = pairs.next();
      if (pair.getKey().isEmpty() || pair.getKey().length() > MAX_METADATA_KEY) {
        throw ProblemException.invalid(
            "'metadata' keys must be 1 to " + MAX_METADATA_KEY + " characters.");
      }
      if (!pair.getValue().isTextual()
          || pair.getValue().textValue().length() > MAX_METADATA_VALUE) {
        throw ProblemException.invalid(
            "'metadata' values must be strings of at most " + MAX_METADATA_VALUE + " characters.");
      }
    }
    return CanonicalJson.write(metadata);
  }

  /** Checks the URL's form: absolute {@code https} with a host, no credentials. */
  private String webhookUrl(String url) {
    if (url == null) {
      return null;
    }
    try {
      return targets.parse(url).toString();
    } catch (WebhookTargets.Refused refused) {
      throw refusal(refused);
    }
  }

  /**
   * Resolves the job's {@code webhook_url} and refuses it (400) when it points to a private,
   * loopback, link-local or metadata address (SPEC §2 Webhooks). The worker checks again before
   * each send.
   */
  Uni<NewJob> checkTarget(NewJob job) {
    if (job.webhookUrl() == null) {
      return Uni.createFrom().item(job);
    }
    return targets
        .check(job.webhookUrl())
        .replaceWith(job)
        .onFailure(WebhookTargets.Refused.class)
        .transform(refused -> refusal((WebhookTargets.Refused) refused));
  }

  private static ProblemException refusal(WebhookTargets.Refused refused) {
    return ProblemException.invalid("'webhook_url' " + refused.getMessage() + ".");
  }

  private static String idempotencyKey(String key) {
    if (key == null) {
      return null;
    }
    if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY) {
      throw ProblemException.invalid(
          "The Idempotency-Key header must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters.");
    }
    return key;
  }
}
