package io.llmq.worker.provider.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.common.request.TokenEstimator;
import io.llmq.worker.provider.ChatProvider;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderHttp;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClientResponse;
import java.util.Map;

/**
 * Any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp server,
 * gateways), over the Vert.x HTTP client: the call stays on the event loop and the rate-limit
 * headers are read before the body. Streams with {@code stream_options.include_usage} unless {@code
 * stream} is off for the provider; a server that ignores the usage option still works (usage is
 * then estimated). Cancelling the call resets the connection.
 */
public class OpenAiProvider implements ChatProvider {

  public static final String KIND = "openai";

  private final String name;
  private final ProvidersConfig.Provider config;
  private final ObjectMapper json;
  private final ProviderHttp http;

  public OpenAiProvider(
      String name, ProvidersConfig.Provider config, Vertx vertx, ObjectMapper json) {
    this.name = name;
    this.config = config;
    this.json = json;
    this.http = new ProviderHttp(name, config, vertx, "/chat/completions");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Uni<Completion> complete(ProviderCall call) {
    ObjectNode body = call.request().deepCopy();
    body.remove("stream_options");
    if (config.stream()) {
      body.put("stream", true);
      body.putObject("stream_options").put("include_usage", true);
    } else {
      body.remove("stream");
    }
    Buffer payload;
    try {
      payload = Buffer.buffer(json.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      return Uni.createFrom().failure(e);
    }
    Map<String, String> headers =
        config
            .apiKey()
            .filter(key -> !key.isBlank())
            .map(key -> Map.of("Authorization", "Bearer " + key))
            .orElse(Map.of());
    String model = body.path("model").asText();
    return http.post(
        payload,
        headers,
        (response, limits) -> {
          call.answered().accept(limits);
          return ProviderHttp.isStream(response)
              ? readStream(response, call, body, model, limits)
              : response.body().map(answer -> fromBody(answer, body, model, limits));
        });
  }

  private Uni<Completion> readStream(
      HttpClientResponse response,
      ProviderCall call,
      JsonNode request,
      String model,
      RateLimitSnapshot limits) {
    ChatStreamAssembler assembler = new ChatStreamAssembler(json, call.deltas());
    boolean[] done = {false};
    return http.eachLine(response, line -> take(line, assembler, done))
        .map(ignored -> {
          if (!assembler.sawAnything()) {
            throw FailureClassifier.malformed();
          }
          if (!done[0] || !assembler.finished()) {
            throw FailureClassifier.incompleteStream();
          }
          return completion(
              assembler.completion(model),
              assembler.usage(),
              request,
              model,
              assembler.contentChunks(),
              limits);
        });
  }

  private void take(String line, ChatStreamAssembler assembler, boolean[] done) {
    if (!line.startsWith("data:") || done[0]) {
      return;
    }
    try {
      done[0] = !assembler.accept(line.substring(5).trim());
    } catch (JsonProcessingException e) {
      throw FailureClassifier.malformed();
    }
  }

  private Completion fromBody(
      Buffer body, JsonNode request, String model, RateLimitSnapshot limits) {
    JsonNode result;
    try {
      result = json.readTree(body.getBytes());
    } catch (java.io.IOException e) {
      throw FailureClassifier.malformed();
    }
    if (!result.isObject() || !result.path("choices").isArray()) {
      throw FailureClassifier.malformed();
    }
    JsonNode message = result.path("choices").path(0).path("message");
    int completion =
        TokenEstimator.textTokens(model, message.path("content").asText(""))
            + (message.has("tool_calls")
                ? TokenEstimator.textTokens(model, message.get("tool_calls").toString())
                : 0);
    return completion((ObjectNode) result, result.get("usage"), request, model, completion, limits);
  }

  /**
   * The completion with the provider's usage, or an estimate when it reported none: the prompt by
   * the tokenizer, the output by streamed chunks or by the tokenizer.
   */
  private Completion completion(
      ObjectNode result,
      JsonNode usage,
      JsonNode request,
      String model,
      int countedTokens,
      RateLimitSnapshot limits) {
    int prompt;
    int output;
    int cached = 0;
    if (usage != null && usage.has("prompt_tokens")) {
      prompt = usage.path("prompt_tokens").asInt();
      output = usage.path("completion_tokens").asInt();
      cached = usage.path("prompt_tokens_details").path("cached_tokens").asInt(0);
    } else {
      prompt = TokenEstimator.promptTokens(model, request);
      output = Math.max(0, countedTokens);
      ObjectNode estimated = result.putObject("usage");
      estimated.put("prompt_tokens", prompt);
      estimated.put("completion_tokens", output);
      estimated.put("total_tokens", prompt + output);
    }
    return new Completion(result, prompt, cached, 0, output, limits);
  }
}
