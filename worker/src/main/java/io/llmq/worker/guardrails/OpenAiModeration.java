package io.llmq.worker.guardrails;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.guardrails.Verdict;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.worker.provider.FailureClassifier;
import io.llmq.worker.provider.ProviderHttp;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

/**
 * The moderation endpoint of an OpenAI-compatible provider ({@code POST <base-url>/moderations}),
 * through the provider HTTP code every adapter shares: the input's texts go as one array, and the
 * verdict is flagged when any text is, with each category's highest score. An answer that is late,
 * not 2xx or not a moderation result fails the returned {@link Uni}: the caller decides what an
 * outage means.
 */
final class OpenAiModeration {

  private final String checker;
  private final String model;
  private final Duration timeout;
  private final Map<String, String> headers;
  private final ProviderHttp http;
  private final ObjectMapper json;

  OpenAiModeration(
      String provider,
      ProvidersConfig.Provider settings,
      String model,
      Duration timeout,
      Vertx vertx,
      ObjectMapper json) {
    this.checker = "openai-moderation:" + provider;
    this.model = model;
    this.timeout = timeout;
    this.json = json;
    this.headers =
        settings
            .apiKey()
            .filter(key -> !key.isBlank())
            .map(key -> Map.of("Authorization", "Bearer " + key))
            .orElse(Map.of());
    this.http = new ProviderHttp(provider, settings, vertx, "/moderations");
  }

  String checker() {
    return checker;
  }

  Uni<Verdict> judge(List<String> texts) {
    ObjectNode body = json.createObjectNode().put("model", model);
    texts.forEach(body.putArray("input")::add);
    Buffer payload;
    try {
      payload = Buffer.buffer(json.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      return Uni.createFrom().failure(e);
    }
    return http.postForJson(
            payload, headers, (response, limits) -> response.body().map(this::verdict))
        .ifNoItem()
        .after(timeout)
        .failWith(() -> new TimeoutException("no moderation answer in time"));
  }

  private Verdict verdict(Buffer body) {
    JsonNode answer;
    try {
      answer = json.readTree(body.getBytes());
    } catch (IOException e) {
      throw FailureClassifier.malformed();
    }
    JsonNode results = answer.path("results");
    if (!results.isArray() || results.isEmpty()) {
      throw FailureClassifier.malformed();
    }
    boolean flagged = false;
    Map<String, Double> scores = new TreeMap<>();
    List<String> categories = new ArrayList<>();
    for (JsonNode result : results) {
      if (!result.path("flagged").isBoolean() || !result.path("category_scores").isObject()) {
        throw FailureClassifier.malformed();
      }
      flagged |= result.path("flagged").booleanValue();
      for (Iterator<Map.Entry<String, JsonNode>> it = result.path("category_scores").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> score = it.next();
        scores.merge(score.getKey(), score.getValue().asDouble(), Math::max);
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = result.path("categories").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> category = it.next();
        if (category.getValue().asBoolean(false) && !categories.contains(category.getKey())) {
          categories.add(category.getKey());
        }
      }
    }
    categories.sort(null);
    return new Verdict(flagged, checker, categories, scores);
  }
}
