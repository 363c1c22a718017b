package io.llmq.worker.provider.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.request.CanonicalJson;
import io.llmq.worker.provider.ChatProvider;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.ProvidersConfig;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The built-in provider: no network, no key. It answers with text derived from the request's hash,
 * so one request always gets one answer, paced like a real model (time to first token, then tokens
 * per second). Each word of the answer counts as one token; prompt tokens are estimated at four
 * characters each, plus four per message.
 */
public class SimulatedProvider implements ChatProvider {

  /** The kind and the name of the built-in instance. */
  public static final String KIND = "simulated";

  private static final String[] WORDS = {
    "the",
    "queue",
    "holds",
    "every",
    "job",
    "until",
    "a",
    "worker",
    "takes",
    "it",
    "and",
    "runs",
    "call",
    "model",
    "answers",
    "with",
    "tokens",
    "that",
    "arrive",
    "one",
    "by",
    "while",
    "limits",
    "keep",
    "provider",
    "calm",
    "cache",
    "remembers",
    "result",
    "so",
    "second",
    "request",
    "costs",
    "nothing",
    "durable",
    "state",
    "lives",
    "in",
    "postgres",
    "messages",
    "travel",
    "through",
    "rabbit",
    "redis",
    "counts",
    "budget",
    "stays",
    "safe",
    "retries",
    "wait",
    "their",
    "turn"
  };

  private final String name;
  private final ProvidersConfig.Provider config;
  private final ObjectMapper json;
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

  public SimulatedProvider(String name, ProvidersConfig.Provider config, ObjectMapper json) {
    this.name = name;
    this.config = config;
    this.json = json;
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * How many calls this provider took for {@code model} (the name in the request it got): what a
   * real provider would have billed, for tests that count upstream calls.
   */
  public long calls(String model) {
    LongAdder count = calls.get(model);
    return count == null ? 0 : count.sum();
  }

  @Override
  public Uni<Completion> complete(ProviderCall call) {
    JsonNode request = call.request();
    calls.computeIfAbsent(request.path("model").asText(), m -> new LongAdder()).increment();
    String prompt = promptText(request);
    Directives directives = Directives.in(prompt);
    SplittableRandom random = new SplittableRandom(seedOf(request));
    int natural = directives.tokens() != null ? directives.tokens() : 16 + random.nextInt(48);
    int limit = maxTokens(request);
    int tokens = Math.max(0, Math.min(natural, limit));
    Duration pace =
        directives.delayMs() != null
            ? Duration.ofMillis(directives.delayMs())
            : config
                .timeToFirstToken()
                .plusMillis(1000L * tokens / Math.max(1, config.tokensPerSecond()));
    Uni<Void> wait =
        pace.isZero()
            ? Uni.createFrom().voidItem()
            : Uni.createFrom().voidItem().onItem().delayIt().by(pace);
    return wait.map(ignored -> {
      if (directives.fail() != null) {
        throw new ProviderException(
            directives.fail(),
            "The simulated provider failed on request.",
            directives.retryAfterMs() == null
                ? null
                : java.time.Duration.ofMillis(directives.retryAfterMs()),
            io.llmq.worker.provider.RateLimitSnapshot.NONE);
      }
      String content = text(random, tokens);
      String finish = natural > limit ? "length" : "stop";
      int promptTokens = estimatePromptTokens(request);
      return new Completion(
          result(request, content, finish, promptTokens, tokens), promptTokens, tokens);
    });
  }

  private ObjectNode result(
      JsonNode request, String content, String finish, int prompt, int completion) {
    ObjectNode result = json.createObjectNode();
    result.put("id", "chatcmpl-sim-" + Long.toHexString(seedOf(request)));
    result.put("object", "chat.completion");
    result.put("created", Instant.now().getEpochSecond());
    result.put("model", request.path("model").asText());
    ObjectNode choice = result.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", content);
    choice.put("finish_reason", finish);
    ObjectNode usage = result.putObject("usage");
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.put("total_tokens", prompt + completion);
    return result;
  }

  private static String text(SplittableRandom random, int tokens) {
    List<String> words = new ArrayList<>(tokens);
    for (int i = 0; i < tokens; i++) {
      words.add(WORDS[random.nextInt(WORDS.length)]);
    }
    return String.join(" ", words);
  }

  private static int maxTokens(JsonNode request) {
    JsonNode max =
        request.has("max_completion_tokens")
            ? request.get("max_completion_tokens")
            : request.get("max_tokens");
    return max != null && max.canConvertToInt() ? max.intValue() : Integer.MAX_VALUE;
  }

  static int estimatePromptTokens(JsonNode request) {
    int tokens = 0;
    for (JsonNode message : request.path("messages")) {
      tokens += 4 + (contentText(message.get("content")).length() + 3) / 4;
    }
    return tokens;
  }

  private static String promptText(JsonNode request) {
    StringBuilder text = new StringBuilder();
    for (JsonNode message : request.path("messages")) {
      text.append(contentText(message.get("content"))).append('\n');
    }
    return text.toString();
  }

  private static String contentText(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.textValue();
    }
    StringBuilder text = new StringBuilder();
    content.forEach(part -> text.append(part.path("text").asText("")));
    return text.toString();
  }

  private static long seedOf(JsonNode request) {
    String hash = CanonicalJson.sha256(request);
    return HexFormat.fromHexDigitsToLong(hash, 0, 16);
  }
}
