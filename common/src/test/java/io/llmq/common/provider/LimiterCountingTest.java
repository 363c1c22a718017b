package io.llmq.common.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.provider.LimiterCounting.Mode;
import io.llmq.common.request.TokenEstimator;
import org.junit.jupiter.api.Test;

class LimiterCountingTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final LimiterCounting CHARACTERS =
      new LimiterCounting(Mode.CHARACTERS, 4, 3, 4096);
  private static final LimiterCounting TOKENIZER = new LimiterCounting(Mode.TOKENIZER, 4, 3, 4096);

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text.replace('\'', '"'));
  }

  private static LimiterCharge characters(String request) throws Exception {
    return CHARACTERS.charge("gpt-4o-mini", json(request), 1.0);
  }

  @Test
  void aMessageCountsItsCharactersPerTokenRoundedUpPlusTheOverhead() throws Exception {
    // 11 characters: ceil(11 / 4) = 3, plus 3 for the message.
    LimiterCharge charge =
        characters("{'messages':[{'role':'user','content':'Hello world'}],'max_tokens':10}");
    assertEquals(6, charge.promptTokens());
    assertEquals(10, charge.outputTokens());
    assertEquals(16, charge.total());
  }

  @Test
  void eachMessageIsRoundedOnItsOwnAndPaysItsOwnOverhead() throws Exception {
    // Three 1-character messages: 3 × (1 + 3) = 12, more than ceil(3 / 4) + 3 × 3 = 10, so the sum
    // bounds both readings of the formula.
    LimiterCharge charge =
        characters(
            "{'messages':[{'role':'system','content':'a'},{'role':'user','content':'b'},"
                + "{'role':'assistant','content':'c'}],'max_tokens':1}");
    assertEquals(12, charge.promptTokens());
  }

  @Test
  void theOverheadAndCharactersPerTokenAreTheProvidersOwn() throws Exception {
    LimiterCounting custom = new LimiterCounting(Mode.CHARACTERS, 2.5, 7, 100);
    // 11 characters / 2.5 = 4.4 → 5, plus 7.
    assertEquals(
        12,
        custom
            .charge("m", json("{'messages':[{'role':'user','content':'Hello world'}]}"), 1)
            .promptTokens());
  }

  @Test
  void textPartsNamesAndToolCallArgumentsCount() throws Exception {
    LimiterCharge charge =
        characters(
            "{'messages':[{'role':'user','name':'ann','content':[{'type':'text','text':'abcd'},"
                + "{'type':'text','text':'efgh'}]},{'role':'assistant','content':null,"
                + "'tool_calls':[{'id':'c1','type':'function','function':{'name':'find',"
                + "'arguments':'{\\\"q\\\":1}'}}]},{'role':'tool','tool_call_id':'c1',"
                + "'content':'ok'}],'max_tokens':5}");
    // ann + abcd + efgh = 11 → 3 + 3; find + {"q":1} = 11 → 3 + 3; c1 + ok = 4 → 1 + 3.
    assertEquals(6 + 6 + 4, charge.promptTokens());
  }

  @Test
  void charactersAreUtf16UnitsSoAnEmojiCountsTwo() throws Exception {
    // "😀😀" is 2 code points, 4 UTF-16 units: ceil(4 / 4) = 1, and one more unit makes it 2.
    assertEquals(
        1 + 3, characters("{'messages':[{'role':'user','content':'😀😀'}]}").promptTokens());
    assertEquals(
        2 + 3, characters("{'messages':[{'role':'user','content':'😀😀é'}]}").promptTokens());
  }

  @Test
  void toolsAndResponseFormatCountTheCharactersOfTheirJson() throws Exception {
    String tools = "[{'type':'function','function':{'name':'find','parameters':{}}}]";
    String format = "{'type':'json_object'}";
    long plain = characters("{'messages':[{'role':'user','content':'hi'}]}").promptTokens();
    long withTools =
        characters("{'messages':[{'role':'user','content':'hi'}],'tools':" + tools + "}")
            .promptTokens();
    long withBoth =
        characters(
                "{'messages':[{'role':'user','content':'hi'}],'tools':"
                    + tools
                    + ",'response_format':"
                    + format
                    + "}")
            .promptTokens();
    long toolChars = json(tools).toString().length();
    long formatChars = json(format).toString().length();
    assertEquals(plain + (toolChars + 3) / 4, withTools);
    assertEquals(withTools + (formatChars + 3) / 4, withBoth);
  }

  @Test
  void anImageCountsAFixedConservativeNumberWhateverItsUrl() throws Exception {
    String image =
        "{'messages':[{'role':'user','content':[{'type':'text','text':'what is it?'},"
            + "{'type':'image_url','image_url':{'url':'%s'}}]}]}";
    long small = characters(image.formatted("https://x.test/a.png")).promptTokens();
    long inline =
        characters(image.formatted("data:image/png;base64," + "A".repeat(40_000))).promptTokens();
    assertEquals(3 + 3 + LimiterCounting.IMAGE_TOKENS, small);
    assertEquals(small, inline);
  }

  @Test
  void aPartOfAnotherKindCountsTheCharactersOfItsJson() throws Exception {
    String audio = "{'type':'input_audio','input_audio':{'data':'" + "B".repeat(400) + "'}}";
    long chars = json(audio).toString().length();
    assertEquals(
        (chars + 3) / 4 + 3,
        characters("{'messages':[{'role':'user','content':[" + audio + "]}]}").promptTokens());
  }

  @Test
  void nMultipliesTheOutputAndConservativelyThePrompt() throws Exception {
    LimiterCharge one =
        characters("{'messages':[{'role':'user','content':'Hello world'}],'max_tokens':100}");
    LimiterCharge three =
        characters("{'messages':[{'role':'user','content':'Hello world'}],'max_tokens':100,'n':3}");
    assertEquals(3, three.choices());
    assertEquals(300, three.outputTokens());
    assertEquals(3 * one.promptTokens(), three.promptTokens());
    assertEquals(3 * one.total(), three.total());
  }

  @Test
  void theOutputIsMaxCompletionTokensElseMaxTokensElseTheProvidersDefault() throws Exception {
    assertEquals(
        50,
        characters("{'messages':[],'max_tokens':80,'max_completion_tokens':50}").outputTokens());
    assertEquals(80, characters("{'messages':[],'max_tokens':80}").outputTokens());
    assertEquals(4096, characters("{'messages':[]}").outputTokens());
    assertEquals(2 * 4096, characters("{'messages':[],'n':2}").outputTokens());
  }

  @Test
  void theTokenizerModeCountsWithTheBillingTokenizerScaledByTheCalibration() throws Exception {
    JsonNode request =
        json("{'messages':[{'role':'user','content':'Hello world, once more.'}],'max_tokens':7}");
    int tokenizer = TokenEstimator.promptTokens("gpt-4o", request);
    assertEquals(tokenizer, TOKENIZER.charge("gpt-4o", request, 1.0).promptTokens());
    assertEquals(
        (long) Math.ceil(tokenizer * 1.5), TOKENIZER.charge("gpt-4o", request, 1.5).promptTokens());
    assertEquals(7, TOKENIZER.charge("gpt-4o", request, 1.5).outputTokens());
  }

  @Test
  void theCharactersModeIsNotCalibrated() throws Exception {
    JsonNode request = json("{'messages':[{'role':'user','content':'Hello world'}]}");
    assertEquals(
        CHARACTERS.charge("gpt-4o", request, 1.0), CHARACTERS.charge("gpt-4o", request, 3.0));
  }

  @Test
  void settlingKeepsACharacterCountAndTakesTheBilledTokensOtherwise() {
    LimiterCharge characters = new LimiterCharge(Mode.CHARACTERS, 100, 50, 2);
    LimiterCharge tokenizer = new LimiterCharge(Mode.TOKENIZER, 100, 50, 2);
    assertEquals(200, characters.settledPrompt(80));
    assertEquals(160, tokenizer.settledPrompt(80));
  }

  @Test
  void theDescriptionNamesBothPartsAndTheChoices() {
    assertEquals(
        "prompt 1,000 + max_tokens 30,000",
        new LimiterCharge(Mode.CHARACTERS, 1000, 30000, 1).describe());
    assertEquals(
        "prompt 10 × 4 + max_tokens 500 × 4",
        new LimiterCharge(Mode.CHARACTERS, 10, 500, 4).describe());
  }

  @Test
  void settingsThatCannotCountAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new LimiterCounting(null, 4, 3, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new LimiterCounting(Mode.CHARACTERS, 0, 3, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LimiterCounting(Mode.CHARACTERS, Double.NaN, 3, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new LimiterCounting(Mode.CHARACTERS, 4, -1, 1));
    assertThrows(
        IllegalArgumentException.class, () -> new LimiterCounting(Mode.CHARACTERS, 4, 3, 0));
  }
}
