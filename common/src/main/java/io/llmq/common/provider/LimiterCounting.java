package io.llmq.common.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.request.TokenEstimator;

/**
 * How one provider's rate limiter counts a chat request against its tokens per minute, and the
 * count itself ({@link #charge}): what the governor reserves before a call and what the api checks
 * at submit. Pure: the same request and settings always give the same count.
 *
 * <p>The prompt, in {@link Mode#CHARACTERS} mode, is the sum over the messages of {@code
 * ceil(characters / characters-per-token) + message-overhead}, where a message's characters are
 * those of its text content (a string, or the {@code text} of each part), its {@code name}, its
 * {@code tool_call_id} and its tool calls' names and arguments; a content part that is neither text
 * nor an image counts the characters of its JSON. Rounding per message is an upper bound of
 * rounding the whole prompt once, so the sum covers both readings of the formula. Characters are
 * {@link String#length()} UTF-16 units, an upper bound of code points. An image part counts {@value
 * #IMAGE_TOKENS} tokens whatever its size (the limiter cannot see its pixels before the call; that
 * is about the most one image bills on GPT-4o, 85 + 170 for each of 8 tiles = 1,445, or on Claude,
 * about 1,600; mini models bill an image many times that, which this count does not follow: a
 * reservation that runs short is corrected by a 429, whereas counting 50,000 per image, as budgets
 * do, would refuse every image request under a small limit). The request's {@code tools} and {@code
 * response_format} count the characters of their JSON. In {@link Mode#TOKENIZER} mode the prompt is
 * the billing tokenizer's count ({@link TokenEstimator#promptTokens}) times the calibration ratio
 * learned from billed usage.
 *
 * <p>The output is {@code max_completion_tokens}, else {@code max_tokens}, else the provider's
 * {@code default-max-tokens}, for each of the request's {@code n} choices: OpenAI's limiter charges
 * {@code max_tokens} at admission, and {@code n} of them (its cookbook counts {@code n ×
 * max_tokens}). Whether it also counts the prompt once per choice is not documented; the prompt is
 * counted {@code n} times here, an upper bound either way, which only over-reserves the rare {@code
 * n > 1} request.
 *
 * @param charactersPerToken characters of one token in {@link Mode#CHARACTERS} mode, above 0
 * @param messageOverhead tokens added per message in {@link Mode#CHARACTERS} mode, at least 0
 * @param defaultMaxTokens output tokens per choice of a request that sets no limit, at least 1
 */
public record LimiterCounting(
    Mode mode, double charactersPerToken, int messageOverhead, long defaultMaxTokens) {

  /** Tokens one image part counts in {@link Mode#CHARACTERS} mode. */
  public static final int IMAGE_TOKENS = 1_600;

  /** What the limiter counts a prompt by. */
  public enum Mode {
    /** The billing tokenizer's count, calibrated against billed usage. */
    TOKENIZER,
    /** Characters per token plus a per-message overhead, as OpenAI's limiter estimates. */
    CHARACTERS
  }

  public LimiterCounting {
    if (mode == null) {
      throw new IllegalArgumentException("limiter-count must be tokenizer or characters");
    }
    if (!(charactersPerToken > 0) || Double.isInfinite(charactersPerToken)) {
      throw new IllegalArgumentException("characters-per-token must be a number above 0");
    }
    if (messageOverhead < 0) {
      throw new IllegalArgumentException("message-overhead must not be negative");
    }
    if (defaultMaxTokens < 1) {
      throw new IllegalArgumentException("default-max-tokens must be at least 1");
    }
  }

  /**
   * What the limiter counts for {@code request} (OpenAI Chat Completions form, as the provider gets
   * it).
   *
   * @param model the model as the provider knows it (it picks the tokenizer)
   * @param calibration billed ÷ estimated prompt tokens as learned so far; used in {@link
   *     Mode#TOKENIZER} mode only
   */
  public LimiterCharge charge(String model, JsonNode request, double calibration) {
    long prompt =
        mode == Mode.CHARACTERS
            ? characterCount(request)
            : (long) Math.ceil(TokenEstimator.promptTokens(model, request) * calibration);
    return new LimiterCharge(mode, prompt, outputPerChoice(request), choices(request));
  }

  private long characterCount(JsonNode request) {
    long tokens = 0;
    for (JsonNode message : request.path("messages")) {
      long chars = textLength(message.get("name")) + textLength(message.get("tool_call_id"));
      long images = 0;
      JsonNode content = message.get("content");
      if (content != null && content.isTextual()) {
        chars += content.textValue().length();
      } else if (content != null && content.isArray()) {
        for (JsonNode part : content) {
          if (part.has("text")) {
            chars += textLength(part.get("text"));
          } else if (isImage(part)) {
            images++;
          } else {
            chars += part.toString().length();
          }
        }
      }
      for (JsonNode call : message.path("tool_calls")) {
        JsonNode function = call.path("function");
        chars +=
            function.isObject()
                ? textLength(function.get("name")) + textLength(function.get("arguments"))
                : call.toString().length();
      }
      tokens += tokensOf(chars) + messageOverhead + images * IMAGE_TOKENS;
    }
    for (String field : new String[] {"tools", "response_format"}) {
      JsonNode value = request.get(field);
      if (value != null && !value.isNull()) {
        tokens += tokensOf(value.toString().length());
      }
    }
    return tokens;
  }

  private long tokensOf(long chars) {
    return (long) Math.ceil(chars / charactersPerToken);
  }

  private static boolean isImage(JsonNode part) {
    String type = part.path("type").asText("");
    return type.equals("image_url") || type.equals("image") || type.equals("input_image");
  }

  /** A string's length; another value (arguments given as an object, say) its JSON's. */
  private static long textLength(JsonNode value) {
    if (value == null || value.isNull()) {
      return 0;
    }
    return value.isTextual() ? value.textValue().length() : value.toString().length();
  }

  private long outputPerChoice(JsonNode request) {
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode max = request.get(field);
      if (max != null && max.isIntegralNumber() && max.canConvertToLong() && max.longValue() >= 0) {
        return max.longValue();
      }
    }
    return defaultMaxTokens;
  }

  private static int choices(JsonNode request) {
    JsonNode n = request.get("n");
    if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
      return 1;
    }
    return Math.max(1, n.intValue());
  }
}
