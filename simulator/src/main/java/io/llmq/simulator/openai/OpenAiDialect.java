package io.llmq.simulator.openai;

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
import io.llmq.simulator.ratelimit.GoDuration;
import io.llmq.simulator.ratelimit.Quotas;
import io.llmq.simulator.ratelimit.Refusal;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;

/** OpenAI's Chat Completions API, {@code POST /v1/chat/completions}. */
@ApplicationScoped
public class OpenAiDialect implements Dialect {

  /** Output tokens charged at admission when a request sets no {@code max_tokens}. */
  static final int DEFAULT_RESERVED_TOKENS = 256;

  static final int CONTEXT_WINDOW = 128_000;

  /** The most choices ({@code n}) one request may ask for, as OpenAI allows. */
  static final int MAX_CHOICES = 128;

  private final CallHandler calls;

  OpenAiDialect(CallHandler calls) {
    this.calls = calls;
  }

  void routes(@Observes Router router) {
    router
        .post("/v1/chat/completions")
        .handler(BodyHandler.create(false))
        .handler(ctx -> calls.handle(this, ctx));
  }

  @Override
  public Call read(JsonNode body) {
    InvalidRequest.unless(
        body.path("model").isTextual(), "You must provide a model parameter ('model').");
    JsonNode messages = body.get("messages");
    InvalidRequest.unless(
        messages != null && messages.isArray() && !messages.isEmpty(),
        "Missing required parameter: 'messages' (a non-empty array).");
    List<Turn> turns = new ArrayList<>();
    for (JsonNode message : messages) {
      InvalidRequest.unless(message.isObject(), "Invalid 'messages': each must be an object.");
      turns.add(
          new Turn(message.path("role").asText("user"), Block.listOf(message.get("content"))));
    }
    String limitField = body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    JsonNode limit = body.get(limitField);
    boolean limited = limit != null && !limit.isNull();
    InvalidRequest.unless(
        !limited || (limit.canConvertToInt() && limit.isIntegralNumber() && limit.intValue() >= 1),
        "Invalid '" + limitField + "': expected an integer of at least 1.");
    JsonNode n = body.get("n");
    boolean several = n != null && !n.isNull();
    InvalidRequest.unless(
        !several
            || (n.isIntegralNumber()
                && n.canConvertToInt()
                && n.intValue() >= 1
                && n.intValue() <= MAX_CHOICES),
        "Invalid 'n': expected an integer from 1 to " + MAX_CHOICES + ".");
    return new Call(
        new Conversation(body.get("model").textValue(), turns),
        limited ? limit.intValue() : Integer.MAX_VALUE,
        limited ? limit.intValue() : DEFAULT_RESERVED_TOKENS,
        several ? n.intValue() : 1,
        body.path("stream").asBoolean(false),
        body.path("stream_options").path("include_usage").asBoolean(false),
        structured(body.path("response_format")));
  }

  /** What JSON {@code response_format} asks for; {@code null} for text. */
  private static Structured structured(JsonNode format) {
    return switch (format.path("type").asText("")) {
      case "json_object" -> new Structured(null, null);
      case "json_schema" -> {
        JsonNode schema = format.path("json_schema").path("schema");
        yield new Structured(schema.isObject() ? schema : null, null);
      }
      default -> null;
    };
  }

  @Override
  public PromptUsage promptUsage(String apiKey, Call call) {
    return PromptUsage.uncached(call.conversation().promptTokens());
  }

  @Override
  public void putQuotaHeaders(MultiMap headers, Quotas quotas) {
    headers
        .set("x-ratelimit-limit-requests", Long.toString(quotas.requests().limit()))
        .set("x-ratelimit-limit-tokens", Long.toString(quotas.tokens().limit()))
        .set("x-ratelimit-remaining-requests", Long.toString(quotas.requests().remaining()))
        .set("x-ratelimit-remaining-tokens", Long.toString(quotas.tokens().remaining()))
        .set("x-ratelimit-reset-requests", GoDuration.format(quotas.requests().untilFull()))
        .set("x-ratelimit-reset-tokens", GoDuration.format(quotas.tokens().untilFull()));
  }

  @Override
  public ErrorReply invalidRequest(String message) {
    return ErrorReply.of(400, error(message, "invalid_request_error", null, null));
  }

  @Override
  public ErrorReply contextLengthExceeded() {
    String message =
        "This model's maximum context length is "
            + CONTEXT_WINDOW
            + " tokens. However, your messages resulted in more tokens. Please reduce the length"
            + " of the messages.";
    return ErrorReply.of(
        400, error(message, "invalid_request_error", "messages", "context_length_exceeded"));
  }

  @Override
  public ErrorReply rateLimited(Refusal refusal) {
    String limit = refusal.limit().description();
    String message =
        refusal.requested() > refusal.capacity()
            ? "Request too large for %s: Limit %d, Requested %d. The input or output tokens must be reduced in order to run successfully."
                .formatted(limit, refusal.capacity(), refusal.requested())
            : "Rate limit reached for %s: Limit %d, Used %d, Requested %d. Please try again in %s."
                .formatted(
                    limit,
                    refusal.capacity(),
                    refusal.used(),
                    refusal.requested(),
                    GoDuration.format(refusal.retryAfter()));
    JsonNode body = error(message, refusal.limit().type(), null, "rate_limit_exceeded");
    return new ErrorReply(429, body, refusal);
  }

  @Override
  public ErrorReply serverError(int status) {
    String message =
        status == 500
            ? "The server had an error while processing your request. Sorry about that!"
            : "The server is overloaded or not ready yet.";
    return ErrorReply.of(status, error(message, "server_error", null, null));
  }

  @Override
  public int errorStatus() {
    return 500;
  }

  @Override
  public String completion(Call call, Answer answer, PromptUsage usage) {
    return ChatCompletionBodies.completion(call, answer, usage).toString();
  }

  @Override
  public StreamEvents streamEvents(Call call, PromptUsage usage) {
    return new ChatCompletionBodies.Chunks(call, usage);
  }

  private static JsonNode error(String message, String type, String param, String code) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.putObject("error")
        .put("message", message)
        .put("type", type)
        .put("param", param)
        .put("code", code);
    return body;
  }
}
