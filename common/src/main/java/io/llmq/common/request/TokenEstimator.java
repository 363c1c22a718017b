package io.llmq.common.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * Estimates a chat request's tokens before it is sent, for reservations: prompt tokens counted with
 * the model's real tokenizer where one is known (OpenAI families: {@code o200k_base} for GPT-4o,
 * GPT-4.1, GPT-5 and the o-series, {@code cl100k_base} for GPT-4 and GPT-3.5), otherwise one token
 * per {@value #CHARS_PER_TOKEN} characters, which over-counts English text for Claude and Llama
 * tokenizers rather than under-counting it. Messages add {@value #PER_MESSAGE} tokens each and the
 * reply {@value #REPLY_PRIMING}, as OpenAI documents; an image part counts {@value #PER_IMAGE}. The
 * provider's billed usage settles the estimate afterwards.
 */
public final class TokenEstimator {

  static final double CHARS_PER_TOKEN = 3.5;
  static final int PER_MESSAGE = 3;
  static final int REPLY_PRIMING = 3;
  static final int PER_IMAGE = 765;
  static final int IMAGE_TOKEN_BOUND = 50_000;
  static final int TOOL_PROMPT_BOUND = 1_000;

  private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

  private TokenEstimator() {}

  /** Prompt tokens of an OpenAI-format chat request ({@code messages}, {@code tools}). */
  public static int promptTokens(String model, JsonNode request) {
    Optional<Encoding> encoding = encodingFor(model);
    int tokens = REPLY_PRIMING;
    for (JsonNode message : request.path("messages")) {
      tokens += messageTokens(encoding, message);
    }
    if (request.has("tools")) {
      tokens += count(encoding, request.get("tools").toString());
    }
    return tokens;
  }

  /**
   * The share of one message in {@link #promptTokens}: a request's prompt tokens are its messages'
   * plus a fixed part (reply priming, tools), so dropping a message lowers them by exactly this.
   */
  public static int messageTokens(String model, JsonNode message) {
    return messageTokens(encodingFor(model), message);
  }

  private static int messageTokens(Optional<Encoding> encoding, JsonNode message) {
    int tokens = PER_MESSAGE + count(encoding, message.path("role").asText(""));
    JsonNode content = message.get("content");
    if (content != null && content.isTextual()) {
      tokens += count(encoding, content.textValue());
    } else if (content != null && content.isArray()) {
      for (JsonNode part : content) {
        tokens +=
            part.has("text")
                ? count(encoding, part.path("text").asText(""))
                : "image_url".equals(part.path("type").asText()) ? PER_IMAGE : 0;
      }
    }
    if (message.has("tool_calls")) {
      tokens += count(encoding, message.get("tool_calls").toString());
    }
    return tokens;
  }

  /**
   * An upper bound of the prompt tokens any provider can bill for an OpenAI-format chat request,
   * for budgets (where an estimate that runs short could overspend). It holds because every token
   * of the byte-level tokenizers providers use (OpenAI's, Anthropic's, Llama's and other BPE or
   * SentencePiece vocabularies with byte fallback) covers at least one byte of UTF-8 text, so a
   * text has no more tokens than bytes; the request's JSON holds every byte of its text, plus
   * quotes, keys and separators that outnumber the few tokens providers add per message. An image
   * part is counted as {@value #IMAGE_TOKEN_BOUND} tokens instead of its URL (GPT-4o mini bills up
   * to 48,169 for one high-detail image, Claude about 1,600), and a request with tools adds {@value
   * #TOOL_PROMPT_BOUND} for the system prompt that providers wrap tool definitions in (Anthropic
   * documents up to 346 tokens).
   */
  public static long promptTokenBound(JsonNode request) {
    long bound = 0;
    for (JsonNode message : request.path("messages")) {
      JsonNode content = message.get("content");
      if (content != null && content.isArray()) {
        for (JsonNode part : content) {
          bound +=
              "image_url".equals(part.path("type").asText()) ? IMAGE_TOKEN_BOUND : utf8(part) + 1;
        }
        bound += utf8(message) - utf8(content);
      } else {
        bound += utf8(message);
      }
    }
    for (String field : new String[] {"tools", "tool_choice", "response_format", "functions"}) {
      if (request.has(field)) {
        bound += utf8(request.get(field));
      }
    }
    if (request.has("tools") || request.has("functions")) {
      bound += TOOL_PROMPT_BOUND;
    }
    return bound + REPLY_PRIMING;
  }

  private static long utf8(JsonNode node) {
    return node.toString().getBytes(StandardCharsets.UTF_8).length;
  }

  /** Tokens of a piece of text for the model (its tokenizer, or the character estimate). */
  public static int textTokens(String model, String text) {
    return count(encodingFor(model), text);
  }

  /**
   * Loads the tokenizer tables now (several megabytes), so the first estimate made on an event loop
   * does not stall it.
   */
  public static void warmUp() {
    REGISTRY.getEncoding(EncodingType.O200K_BASE).countTokensOrdinary("warm");
    REGISTRY.getEncoding(EncodingType.CL100K_BASE).countTokensOrdinary("warm");
  }

  static Optional<Encoding> encodingFor(String model) {
    String name = model.toLowerCase(Locale.ROOT);
    if (name.startsWith("gpt-4o")
        || name.startsWith("gpt-4.1")
        || name.startsWith("gpt-4.5")
        || name.startsWith("gpt-5")
        || name.startsWith("chatgpt-4o")
        || name.matches("o\\d.*")) {
      return Optional.of(REGISTRY.getEncoding(EncodingType.O200K_BASE));
    }
    if (name.startsWith("gpt-4") || name.startsWith("gpt-3.5")) {
      return Optional.of(REGISTRY.getEncoding(EncodingType.CL100K_BASE));
    }
    return Optional.empty();
  }

  private static int count(Optional<Encoding> encoding, String text) {
    if (text.isEmpty()) {
      return 0;
    }
    return encoding
        .map(e -> e.countTokensOrdinary(text))
        .orElseGet(() -> (int) Math.ceil(text.length() / CHARS_PER_TOKEN));
  }
}
