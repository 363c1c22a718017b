package io.llmq.api.context;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.ProviderRoutes;
import io.llmq.common.request.TokenEstimator;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Fits a submitted chat request to its model's context window and output limit (SPEC §3 Context
 * windows). {@code max_tokens} or {@code max_completion_tokens} above the model's {@code
 * max-output-tokens} is 400. The request's need is its prompt, counted with {@link TokenEstimator}
 * for the model's upstream name (the tokenizer of an OpenAI family, else the character estimate,
 * which over-counts English for other tokenizers), plus its output: its {@code max_tokens} (the
 * larger of the two fields when both are given), or else its provider's {@code default-max-tokens}
 * capped at the model's output limit, which is what the governor reserves for it and what llmq
 * sends Anthropic. A need above the window is 400 under {@link ContextPolicy#REJECT}; under {@link
 * ContextPolicy#TRIM} the oldest turns are dropped until it fits ({@link #trim}). A model without a
 * {@code context-window} is not checked against one.
 */
@ApplicationScoped
public class ContextWindow {

  private static final String MESSAGES = "messages";

  private final ModelCatalog models;
  private final ProviderRoutes routes;

  ContextWindow(ModelCatalog models, ProviderRoutes routes) {
    this.models = models;
    this.routes = routes;
  }

  /**
   * A request that fits its window.
   *
   * @param request the request to store and send: {@code fit}'s own when nothing was dropped
   * @param trimmedMessages how many messages were dropped, 0 when none
   */
  public record Fitted(JsonNode request, int trimmedMessages) {}

  /** The request's output: its token count, and how the refusal names it. */
  /**
   * The output half of a request's worst case: {@code field} names the request's own limit, null
   * for the provider's default. Its wording is made only for a refusal, never on the submit path.
   */
  private record Output(long tokens, String field) {

    String named() {
      return field == null
          ? String.format(Locale.ROOT, "%,d output tokens, the default without max_tokens", tokens)
          : String.format(Locale.ROOT, "%s %,d", field, tokens);
    }
  }

  /**
   * Fits {@code request}, a validated chat request for {@code model}, or throws the 400 that names
   * the numbers.
   */
  public Fitted fit(String model, JsonNode request, ContextPolicy policy) {
    Output output = outputOf(model, request);
    Optional<Long> window = models.contextWindowOf(model);
    if (window.isEmpty()) {
      return new Fitted(request, 0);
    }
    String tokenizer = routes.of(model).map(ProviderRoutes.Route::upstreamModel).orElse(model);
    long prompt = TokenEstimator.promptTokens(tokenizer, request);
    if (prompt + output.tokens() <= window.get()) {
      return new Fitted(request, 0);
    }
    if (policy == ContextPolicy.REJECT) {
      throw ProblemException.invalid(
          String.format(
              Locale.ROOT,
              "The request needs %,d tokens (prompt %,d + %s) but the context window of %s is"
                  + " %,d tokens. Shorten the conversation, lower max_tokens, or submit with"
                  + " context_policy trim.",
              prompt + output.tokens(),
              prompt,
              output.named(),
              model,
              window.get()));
    }
    return trim(model, tokenizer, request, prompt, output, window.get());
  }

  /**
   * The request's output tokens; 400 when it asks for more than the model can produce. Without a
   * limit of its own, the provider's {@code default-max-tokens}, capped at the model's limit.
   */
  private Output outputOf(String model, JsonNode request) {
    Optional<Long> limit = models.maxOutputTokensOf(model);
    Output asked = null;
    for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
      JsonNode value = request.get(field);
      if (value == null || value.isNull()) {
        continue;
      }
      long tokens = value.longValue();
      if (limit.isPresent() && tokens > limit.get()) {
        throw ProblemException.invalid(
            String.format(
                Locale.ROOT,
                "'request.%s' is %,d but %s produces at most %,d output tokens.",
                field,
                tokens,
                model,
                limit.get()));
      }
      if (asked == null || tokens > asked.tokens()) {
        asked = new Output(tokens, field);
      }
    }
    if (asked != null) {
      return asked;
    }
    long fallback =
        routes
            .of(model)
            .map(route -> (long) route.settings().defaultMaxTokens())
            .map(tokens -> limit.map(l -> Math.min(l, tokens)).orElse(tokens))
            .orElse(limit.orElse(0L));
    return new Output(fallback, null);
  }

  /**
   * Drops whole turns, oldest first, until the request fits. A turn is a user message with the
   * assistant and tool messages that follow it (messages before the first user message make one
   * turn of their own), so an assistant's {@code tool_calls} never lose their tool results and the
   * conversation still opens with a user message, as providers require. System and developer
   * messages are never dropped, wherever they stand; nor is the last user message or anything after
   * it (the turn being asked about). Nothing left to drop and still too long is 400.
   */
  private static Fitted trim(
      String model, String tokenizer, JsonNode request, long prompt, Output output, long window) {
    JsonNode messages = request.get(MESSAGES);
    List<List<Integer>> turns = droppableTurns(messages);
    boolean[] dropped = new boolean[messages.size()];
    int count = 0;
    for (List<Integer> turn : turns) {
      if (prompt + output.tokens() <= window) {
        break;
      }
      for (int index : turn) {
        prompt -= TokenEstimator.messageTokens(tokenizer, messages.get(index));
        dropped[index] = true;
        count++;
      }
    }
    if (prompt + output.tokens() > window) {
      throw ProblemException.invalid(
          String.format(
              Locale.ROOT,
              "The request cannot fit the context window of %s (%,d tokens) even trimmed: without"
                  + " its earlier turns it still needs %,d tokens (prompt %,d + %s), for its system"
                  + " messages and its last user turn. Shorten them or lower max_tokens.",
              model,
              window,
              prompt + output.tokens(),
              prompt,
              output.named()));
    }
    ObjectNode trimmed = request.deepCopy();
    ArrayNode kept = trimmed.putArray(MESSAGES);
    for (int i = 0; i < messages.size(); i++) {
      if (!dropped[i]) {
        kept.add(messages.get(i));
      }
    }
    return new Fitted(trimmed, count);
  }

  /**
   * The indexes of each turn that may be dropped, oldest turn first; none in a conversation without
   * a user message.
   */
  static List<List<Integer>> droppableTurns(JsonNode messages) {
    int lastUser = messages.size() - 1;
    while (lastUser > 0 && !"user".equals(role(messages.get(lastUser)))) {
      lastUser--;
    }
    List<List<Integer>> turns = new ArrayList<>();
    List<Integer> turn = null;
    for (int i = 0; i < lastUser; i++) {
      String role = role(messages.get(i));
      if (role.equals("system") || role.equals("developer")) {
        continue;
      }
      if (turn == null || role.equals("user")) {
        turn = new ArrayList<>();
        turns.add(turn);
      }
      turn.add(i);
    }
    return turns;
  }

  private static String role(JsonNode message) {
    return message.path("role").asText("");
  }
}
