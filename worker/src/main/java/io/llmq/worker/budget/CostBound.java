package io.llmq.worker.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.request.TokenEstimator;
import java.math.BigDecimal;

/**
 * An upper bound of what the provider can bill for one attempt, reserved against budgets before the
 * attempt. Why it holds:
 *
 * <ul>
 *   <li>prompt: {@link TokenEstimator#promptTokenBound} (no provider's tokenizer makes more tokens
 *       than the request's text has UTF-8 bytes), billed once whatever {@code n} is;
 *   <li>output: each of the {@code n} choices stops at {@code max_completion_tokens} (or {@code
 *       max_tokens}); without one, at the model's {@code max-output-tokens}, or else at the
 *       provider's {@code default-max-tokens}, which {@link #of} then writes into the request of a
 *       budgeted job so that the provider enforces it;
 *   <li>price: every prompt token at the highest of the fresh, cache-read and cache-write rates
 *       (the provider decides at the call which apply), output at the output rate, rounded up.
 * </ul>
 *
 * An answer of the built-in simulator costs nothing, so its bound is 0.
 *
 * @param promptTokens the prompt's bound
 * @param completionTokens the output's bound, all choices together
 * @param usd what those tokens cost at the model's price; 0 for an unpriced model
 */
public record CostBound(long promptTokens, long completionTokens, BigDecimal usd) {

  public static final CostBound FREE = new CostBound(0, 0, BigDecimal.ZERO);

  /**
   * The bound of a call of {@code model} with {@code request} (as the provider gets it). When
   * {@code enforce} (the job has a budget), a request without an output limit of its own, for a
   * model without {@code max-output-tokens}, gets {@code defaultMaxTokens} written into it as
   * {@code max_tokens}; otherwise such a bound is only what the job is counted at should its
   * attempt be lost.
   */
  public static CostBound of(
      ModelCatalog models,
      String model,
      ObjectNode request,
      long defaultMaxTokens,
      boolean enforce) {
    long perChoice = requestedMax(request);
    if (perChoice < 0) {
      perChoice = models.maxOutputTokensOf(model).orElse(-1L);
    }
    if (perChoice < 0) {
      perChoice = defaultMaxTokens;
      if (enforce) {
        request.put("max_tokens", defaultMaxTokens);
      }
    }
    long completion = perChoice * Math.max(1, request.path("n").asInt(1));
    long prompt = TokenEstimator.promptTokenBound(request);
    BigDecimal usd =
        models
            .priceOf(model)
            .map(price -> price.worstCaseOf(prompt, completion))
            .orElse(BigDecimal.ZERO);
    return new CostBound(prompt, completion, usd);
  }

  private static long requestedMax(JsonNode request) {
    JsonNode max =
        request.has("max_completion_tokens")
            ? request.get("max_completion_tokens")
            : request.get("max_tokens");
    return max != null && max.canConvertToLong() && max.longValue() >= 0 ? max.longValue() : -1;
  }
}
