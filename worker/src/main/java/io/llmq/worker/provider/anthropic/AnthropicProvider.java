package io.llmq.worker.provider.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.worker.provider.ChatProvider;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.ProviderHttp;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClientResponse;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}) behind the OpenAI Chat Completions format
 * the rest of llmq speaks: the request is translated by {@link MessagesTranslator}, the answer (a
 * stream assembled by {@link MessageStreamAssembler}, or one message) by {@link
 * CompletionTranslator}; the exchange itself is {@link ProviderHttp}'s, as for every provider.
 */
public class AnthropicProvider implements ChatProvider {

  public static final String KIND = "anthropic";

  private final String name;
  private final ProvidersConfig.Provider config;
  private final ObjectMapper json;
  private final ProviderHttp http;
  private final MessagesTranslator requests;
  private final CompletionTranslator responses;

  public AnthropicProvider(
      String name, ProvidersConfig.Provider config, Vertx vertx, ObjectMapper json) {
    this.name = name;
    this.config = config;
    this.json = json;
    this.http = new ProviderHttp(name, config, vertx, "/v1/messages");
    this.requests = new MessagesTranslator(json, config.defaultMaxTokens());
    this.responses = new CompletionTranslator(json);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Uni<Completion> complete(ProviderCall call) {
    Buffer payload;
    ObjectNode body;
    try {
      body = requests.translate(call.request(), config.stream());
      payload = Buffer.buffer(json.writeValueAsBytes(body));
    } catch (ProviderException | JsonProcessingException e) {
      return Uni.createFrom().failure(e);
    }
    Map<String, String> headers = new HashMap<>();
    headers.put("anthropic-version", config.anthropicVersion());
    config.apiKey().filter(key -> !key.isBlank()).ifPresent(key -> headers.put("x-api-key", key));
    String model = body.path("model").asText();
    return http.post(
        payload,
        headers,
        (response, limits) -> {
          call.answered().accept(limits);
          return ProviderHttp.isStream(response)
              ? readStream(response, call, model, limits)
              : response
                  .body()
                  .map(answer ->
                      fromBody(
                          answer,
                          model,
                          limits,
                          StructuredOutput.toolName(call.request()).orElse(null)));
        });
  }

  private Uni<Completion> readStream(
      HttpClientResponse response, ProviderCall call, String model, RateLimitSnapshot limits) {
    String answerTool = StructuredOutput.toolName(call.request()).orElse(null);
    MessageStreamAssembler assembler =
        new MessageStreamAssembler(json, call.deltas(), limits, answerTool);
    return http.eachLine(response, assembler::accept)
        .map(ignored -> {
          assembler.end();
          if (!assembler.sawAnything()) {
            throw FailureClassifier.malformed();
          }
          if (!assembler.complete()) {
            throw FailureClassifier.incompleteStream();
          }
          return responses.translate(
              assembler.message(), model, limits, answerTool, assembler.answerText());
        });
  }

  private Completion fromBody(
      Buffer body, String model, RateLimitSnapshot limits, String answerTool) {
    JsonNode message;
    try {
      message = json.readTree(body.getBytes());
    } catch (IOException e) {
      throw FailureClassifier.malformed();
    }
    String type = message.path("type").asText();
    if ("error".equals(type)) {
      throw FailureClassifier.forStatus(
          MessageStreamAssembler.statusOf(message), body.toString(), limits);
    }
    if (!"message".equals(type)) {
      throw FailureClassifier.malformed();
    }
    return responses.translate(message, model, limits, answerTool, null);
  }
}
