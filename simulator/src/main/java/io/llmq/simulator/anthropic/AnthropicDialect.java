package io.llmq.simulator.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.answer.Block;
import io.llmq.simulator.answer.Conversation;
import io.llmq.simulator.answer.Structured;
import io.llmq.simulator.answer.Turn;
import io.llmq.simulator.call.Call;
import io.llmq.simulator.call.CallHandler;
import io.llmq.simulator.call.Dialect;
import io.llmq.simulator.call.ErrorReply;
import io.llmq.simulator.call.InvalidRequest;
import io.llmq.simulator.call.PromptUsage;
import io.llmq.simulator.call.StreamEvents;
import io.llmq.simulator.ratelimit.Quota;
import io.llmq.simulator.ratelimit.Quotas;
import io.llmq.simulator.ratelimit.Refusal;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Anthropic's Messages API, {@code POST /v1/messages}. */
@ApplicationScoped
public class AnthropicDialect implements Dialect {

  static final int CONTEXT_WINDOW = 200_000;

  private final CallHandler calls;
  private final PromptCache cache;

  AnthropicDialect(CallHandler calls, PromptCache cache) {
    this.calls = calls;
    this.cache = cache;
  }

  void routes(@Observes Router router) {
    router
        .post("/v1/messages")
        .handler(BodyHandler.create(false))
        .handler(ctx -> calls.handle(this, ctx));
  }

  @Override
  public Call read(JsonNode body) {
    InvalidRequest.unless(body.path("model").isTextual(), "model: Field required");
    JsonNode messages = body.get("messages");
    InvalidRequest.unless(
        messages != null && messages.isArray() && !messages.isEmpty(),
        "messages: Field required (a non-empty array)");
    JsonNode maxTokens = body.get("max_tokens");
    InvalidRequest.unless(maxTokens != null && !maxTokens.isNull(), "max_tokens: Field required");
    InvalidRequest.unless(
        maxTokens.isIntegralNumber() && maxTokens.canConvertToInt() && maxTokens.intValue() >= 1,
        "max_tokens: Input should be an integer of at least 1");
    List<Turn> turns = new ArrayList<>();
    JsonNode system = body.get("system");
    if (system != null && !system.isNull()) {
      turns.add(new Turn("system", Block.listOf(system)));
    }
    for (JsonNode message : messages) {
      InvalidRequest.unless(message.isObject(), "messages: each message must be an object");
      turns.add(
          new Turn(message.path("role").asText("user"), Block.listOf(message.get("content"))));
    }
    int limit = maxTokens.intValue();
    return new Call(
        new Conversation(body.get("model").textValue(), turns),
        limit,
        limit,
        1,
        body.path("stream").asBoolean(false),
        false,
        forcedTool(body));
  }

  /**
   * A tool call forced by {@code tool_choice: {type: tool, name}}: answered with a {@code tool_use}
   * block whose input is built from the tool's {@code input_schema}; {@code null} for none.
   */
  private static Structured forcedTool(JsonNode body) {
    JsonNode choice = body.path("tool_choice");
    if (!"tool".equals(choice.path("type").asText())) {
      return null;
    }
    String name = choice.path("name").asText("");
    for (JsonNode tool : body.path("tools")) {
      if (name.equals(tool.path("name").asText())) {
        JsonNode schema = tool.path("input_schema");
        return new Structured(schema.isObject() ? schema : null, name);
      }
    }
    throw new InvalidRequest("tool_choice: no tool named '" + name + "' in tools");
  }

  @Override
  public PromptUsage promptUsage(String apiKey, Call call) {
    return cache.usage(apiKey, call.conversation());
  }

  @Override
  public void putQuotaHeaders(MultiMap headers, Quotas quotas) {
    Instant now = Instant.now();
    put(headers, "requests", quotas.requests(), now);
    put(headers, "tokens", quotas.tokens(), now);
  }

  private static void put(MultiMap headers, String kind, Quota quota, Instant now) {
    String prefix = "anthropic-ratelimit-" + kind + "-";
    headers
        .set(prefix + "limit", Long.toString(quota.limit()))
        .set(prefix + "remaining", Long.toString(quota.remaining()))
        .set(prefix + "reset", rfc3339(now.plus(quota.untilFull())));
  }

  /** Whole seconds, rounded up: {@code 2026-11-22T10:15:30Z}. */
  private static String rfc3339(Instant instant) {
    Instant seconds = instant.truncatedTo(ChronoUnit.SECONDS);
    return (seconds.equals(instant) ? seconds : seconds.plusSeconds(1)).toString();
  }

  @Override
  public ErrorReply invalidRequest(String message) {
    return ErrorReply.of(400, error("invalid_request_error", message));
  }

  @Override
  public ErrorReply contextLengthExceeded() {
    String message = "prompt is too long: more than " + CONTEXT_WINDOW + " tokens";
    return ErrorReply.of(400, error("invalid_request_error", message));
  }

  @Override
  public ErrorReply rateLimited(Refusal refusal) {
    String message =
        "This request would exceed your organization's rate limit of %d %s per minute. Please try again in %d s."
            .formatted(refusal.capacity(), refusal.limit().type(), refusal.retryAfterSeconds());
    return new ErrorReply(429, error("rate_limit_error", message), refusal);
  }

  @Override
  public ErrorReply serverError(int status) {
    return switch (status) {
      case 529 -> ErrorReply.of(529, error("overloaded_error", "Overloaded"));
      case 503 -> ErrorReply.of(503, error("api_error", "Service unavailable"));
      default -> ErrorReply.of(status, error("api_error", "Internal server error"));
    };
  }

  @Override
  public int errorStatus() {
    return 529;
  }

  @Override
  public String completion(Call call, Answer answer, PromptUsage usage) {
    return MessageBodies.message(call, answer, usage).toString();
  }

  @Override
  public StreamEvents streamEvents(Call call, PromptUsage usage) {
    return new MessageBodies.Events(call, usage);
  }

  private static JsonNode error(String type, String message) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("type", "error");
    body.putObject("error").put("type", type).put("message", message);
    return body;
  }
}
