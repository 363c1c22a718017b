package io.llmq.common.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

class TokenEstimatorTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode chat(String content, String extra) throws Exception {
    return JSON.readTree(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]" + extra + "}");
  }

  @Test
  void eachOpenAiFamilyGetsItsOwnEncoding() {
    assertEquals(
        EncodingType.O200K_BASE.getName(),
        TokenEstimator.encodingFor("gpt-4o-mini").orElseThrow().getName());
    assertEquals(
        EncodingType.O200K_BASE.getName(),
        TokenEstimator.encodingFor("o3-mini").orElseThrow().getName());
    assertEquals(
        EncodingType.CL100K_BASE.getName(),
        TokenEstimator.encodingFor("gpt-4-turbo").orElseThrow().getName());
    assertTrue(TokenEstimator.encodingFor("claude-sonnet-4-5").isEmpty());
  }

  @Test
  void promptTokensCountTheTextWithTheRealTokenizerPlusMessageOverhead() throws Exception {
    // "Hello world" is 2 tokens in o200k_base; "user" is 1.
    assertEquals(3 + 3 + 1 + 2, TokenEstimator.promptTokens("gpt-4o", chat("Hello world", "")));
  }

  @Test
  void otherModelsAreEstimatedFromCharacters() throws Exception {
    // 35 characters / 3.5 = 10 tokens, "user" 4 / 3.5 -> 2.
    String text = "a".repeat(35);
    assertEquals(3 + 3 + 2 + 10, TokenEstimator.promptTokens("claude-haiku-4-5", chat(text, "")));
  }

  @Test
  void thePromptBoundIsAtLeastEveryTokenizersCountForAnyText() throws Exception {
    // Text that tokenizes badly: every emoji and CJK character costs one or more tokens.
    String[] texts = {"Hello world", "😀😃😄 €uro ✓ 漢字かな交じり文", "x".repeat(2000), "a\\nb\\tc"};
    for (String text : texts) {
      JsonNode request = chat(text, "");
      long bound = TokenEstimator.promptTokenBound(request);
      for (String model : new String[] {"gpt-4o", "gpt-4-turbo", "claude-sonnet-4-5"}) {
        assertTrue(bound >= TokenEstimator.promptTokens(model, request), model + " on " + text);
      }
      // and the simulator's count (4 per message + 1 per 4 characters)
      assertTrue(bound >= 4 + Math.ceil(text.length() / 4.0));
    }
  }

  @Test
  void imagesAndToolsAddTheirOwnBounds() throws Exception {
    JsonNode plain = chat("look", "");
    JsonNode image =
        JSON.readTree(
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}]}");
    assertTrue(
        TokenEstimator.promptTokenBound(image)
            >= TokenEstimator.promptTokenBound(plain) + TokenEstimator.IMAGE_TOKEN_BOUND);
    JsonNode tools =
        chat("look", ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]");
    assertTrue(
        TokenEstimator.promptTokenBound(tools)
            > TokenEstimator.promptTokenBound(plain) + TokenEstimator.TOOL_PROMPT_BOUND);
  }
}
