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
}
