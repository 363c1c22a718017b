package io.llmq.worker.provider.simulated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.output.ResponseFormat;
import io.llmq.common.output.SchemaExample;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.common.request.CanonicalJson;
import io.llmq.worker.guardrails.InjectionClassifier;
import io.llmq.worker.provider.ChatProvider;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The built-in provider: no network, no key. It answers with text derived from the request's hash,
 * so one request always gets one answer, paced like a real model (time to first token, then tokens
 * per second) and streamed word by word to the call's delta sink. Cancelling the call stops it.
 * Each word of the answer counts as one token; prompt tokens are estimated at four characters each,
 * plus four per message.
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

  /** The shortest pause between two streamed pieces. */
  private static final Duration MIN_TICK = Duration.ofMillis(20);

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
    if (classifying(request)) {
      return classify(request, directives);
    }
    SplittableRandom random = new SplittableRandom(seedOf(request));
    int natural = directives.tokens() != null ? directives.tokens() : 16 + random.nextInt(48);
    int limit = maxTokens(request);
    int tokens = Math.max(0, Math.min(natural, limit));
    // A delay_ms directive is the whole call; otherwise time to first token, then the pace.
    Duration firstToken = directives.delayMs() != null ? Duration.ZERO : config.timeToFirstToken();
    Duration output =
        directives.delayMs() != null
            ? Duration.ofMillis(directives.delayMs())
            : Duration.ofMillis(1000L * tokens / Math.max(1, config.tokensPerSecond()));
    List<String> drawn = words(random, tokens);
    Optional<ResponseFormat> format = ResponseFormat.of(request);
    // A JSON answer streams as the pieces between its spaces, so the deltas still add up to it.
    List<String> words =
        format.isEmpty()
            ? drawn
            : Arrays.asList(structured(format.get(), request, directives, drawn).split(" ", -1));
    int produced = format.isEmpty() ? tokens : (String.join(" ", words).length() + 3) / 4;
    if (directives.fail() != null
        && (directives.failAt() == null || directives.failAt().equals(name))) {
      return delay(firstToken.plus(output))
          .map(ignored -> {
            throw new ProviderException(
                directives.fail(),
                "The simulated provider failed on request.",
                directives.retryAfterMs() == null
                    ? null
                    : Duration.ofMillis(directives.retryAfterMs()),
                io.llmq.worker.provider.RateLimitSnapshot.NONE,
                statusOf(directives.fail()),
                false);
          });
    }
    String finish = format.isEmpty() && natural > limit ? "length" : "stop";
    int promptTokens = estimatePromptTokens(request);
    return delay(firstToken)
        .chain(() -> stream(words, output, call))
        .map(ignored -> {
          String content = String.join(" ", words);
          return new Completion(
              result(request, content, finish, promptTokens, produced), promptTokens, produced);
        });
  }

  /** The HTTP status a real provider answers a failure of this kind with. */
  private static int statusOf(io.llmq.common.job.FailureCode code) {
    return switch (code) {
      case UPSTREAM_RATE_LIMITED -> 429;
      case UPSTREAM_ERROR -> 500;
      default -> 400;
    };
  }

  /** Whether the request is a prompt-injection classifier call (its system prompt says so). */
  private static boolean classifying(JsonNode request) {
    JsonNode first = request.path("messages").path(0);
    return "system".equals(first.path("role").asText())
        && InjectionClassifier.SYSTEM_PROMPT.equals(first.path("content").asText());
  }

  /**
   * Answers a classifier call at once as its {@code classifier} directive says: {@code SAFE} unless
   * it is {@code injection} ({@code INJECTION}), {@code garbled} (neither), {@code fail} (an
   * upstream error) or {@code hang} (no answer until the call is cancelled).
   */
  private Uni<Completion> classify(JsonNode request, Directives directives) {
    String verdict = directives.classifier() == null ? "safe" : directives.classifier();
    String answer =
        switch (verdict) {
          case "injection" -> "INJECTION";
          case "garbled" -> "I cannot tell.";
          case "fail", "hang" -> null;
          default -> "SAFE";
        };
    if ("hang".equals(verdict)) {
      return Uni.createFrom().nothing();
    }
    if (answer == null) {
      return Uni.createFrom()
          .failure(
              new ProviderException(
                  io.llmq.common.job.FailureCode.UPSTREAM_ERROR,
                  "The simulated classifier failed on request."));
    }
    int promptTokens = estimatePromptTokens(request);
    return Uni.createFrom()
        .item(new Completion(result(request, answer, "stop", promptTokens, 1), promptTokens, 1));
  }

  /**
   * The answer to a request with a JSON {@code response_format}: a value built from the schema
   * ({@link SchemaExample}), or {@code {"answer": ...}} for {@code json_object}. The {@code output}
   * directive breaks it: without a required property where the schema has one, else not JSON.
   */
  private static String structured(
      ResponseFormat format, JsonNode request, Directives directives, List<String> words) {
    String text = words.isEmpty() ? "simulated" : String.join(" ", words);
    boolean repairing = false;
    for (JsonNode message : request.path("messages")) {
      repairing |= "assistant".equals(message.path("role").asText());
    }
    boolean invalid =
        "invalid".equals(directives.output())
            || ("invalid_once".equals(directives.output()) && !repairing);
    JsonNode schema = format.schema().orElse(null);
    if (!invalid) {
      return SchemaExample.of(schema, text).toString();
    }
    JsonNode broken =
        format.kind() == ResponseFormat.Kind.JSON_SCHEMA
            ? SchemaExample.missingRequired(schema, text)
            : null;
    return broken == null ? text : broken.toString();
  }

  /**
   * Hands the words to the call's delta sink, spread evenly over {@code duration} in ticks of at
   * least {@link #MIN_TICK} (several words a tick when the pace is fast).
   */
  private static Uni<Void> stream(List<String> words, Duration duration, ProviderCall call) {
    int count = words.size();
    if (count == 0) {
      return delay(duration);
    }
    long ticks = Math.max(1, Math.min(count, duration.toMillis() / MIN_TICK.toMillis()));
    if (duration.isZero()) {
      emit(words, 0, count, call);
      return Uni.createFrom().voidItem();
    }
    Duration every = duration.dividedBy(ticks);
    return Multi.createFrom()
        .ticks()
        .every(every)
        .select()
        .first(ticks)
        .onItem()
        .invoke(tick ->
            emit(words, (int) (count * tick / ticks), (int) (count * (tick + 1) / ticks), call))
        .collect()
        .last()
        .replaceWithVoid();
  }

  private static void emit(List<String> words, int from, int to, ProviderCall call) {
    if (from >= to) {
      return;
    }
    StringBuilder piece = new StringBuilder();
    for (int i = from; i < to; i++) {
      if (i > 0) {
        piece.append(' ');
      }
      piece.append(words.get(i));
    }
    call.deltas().accept(new Delta(piece.toString(), to));
  }

  private static Uni<Void> delay(Duration duration) {
    return duration.isZero()
        ? Uni.createFrom().voidItem()
        : Uni.createFrom().voidItem().onItem().delayIt().by(duration);
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

  private static List<String> words(SplittableRandom random, int tokens) {
    List<String> words = new ArrayList<>(tokens);
    for (int i = 0; i < tokens; i++) {
      words.add(WORDS[random.nextInt(WORDS.length)]);
    }
    return words;
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
