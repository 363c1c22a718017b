package io.llmq.common.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The canonical form's invariants: one key per meaning, another key per changed meaning. */
class CanonicalRequestTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASE =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static String key(String request) {
    return CanonicalRequest.of(json(request)).sha256();
  }

  /** The base request with {@code extra} members added at the end. */
  private static String base(String extra) {
    return BASE.substring(0, BASE.length() - 1) + "," + extra + "}";
  }

  private static void sameKey(String a, String b) {
    assertEquals(CanonicalRequest.of(json(a)).text(), CanonicalRequest.of(json(b)).text());
    assertEquals(key(a), key(b));
  }

  private static void otherKey(String a, String b) {
    assertNotEquals(key(a), key(b));
  }

  @Test
  void keyOrderAndWhiteSpaceGiveOneKey() {
    sameKey(
        base("\"temperature\":0.2,\"max_tokens\":50"),
        "{ \"max_tokens\" : 50,\n  \"messages\": [ {\"content\": \"Say hi\", \"role\": \"user\"} ],"
            + "\t\"temperature\": 0.2, \"model\": \"gpt-4o-mini\" }");
  }

  @Test
  void numberSpellingsGiveOneKey() {
    sameKey(base("\"temperature\":0.5,\"seed\":7"), base("\"temperature\":5e-1,\"seed\":7.0"));
  }

  @Test
  void impliedDefaultsAndExplicitDefaultsGiveOneKey() {
    sameKey(
        BASE,
        base(
            "\"temperature\":1,\"top_p\":1.0,\"n\":1,\"presence_penalty\":0,"
                + "\"frequency_penalty\":0.0,\"response_format\":{\"type\":\"text\"},"
                + "\"stop\":[],\"tools\":[],\"tool_choice\":\"none\""));
    sameKey(BASE, base("\"temperature\":null,\"stop\":null,\"seed\":null"));
    String tool = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    sameKey(base(tool), base(tool + ",\"tool_choice\":\"auto\""));
  }

  @Test
  void equivalentSpellingsOfOneParameterGiveOneKey() {
    sameKey(base("\"stop\":\"END\""), base("\"stop\":[\"END\"]"));
    sameKey(base("\"max_tokens\":64"), base("\"max_completion_tokens\":64"));
    sameKey(
        BASE,
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Say hi\"}],\"name\":null}]}");
  }

  @Test
  void fieldsThatCannotChangeTheAnswerAreLeftOut() {
    sameKey(
        BASE,
        base(
            "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"user\":\"u-1\","
                + "\"metadata\":{\"k\":\"v\"},\"store\":false"));
    sameKey(
        BASE,
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
            + "\"text\",\"text\":\"Say hi\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}");
  }

  @Test
  void aChangedParameterGivesAnotherKey() {
    otherKey(BASE, base("\"temperature\":0.7"));
    otherKey(base("\"temperature\":0.7"), base("\"temperature\":0.8"));
    otherKey(BASE, base("\"seed\":1"));
    otherKey(BASE, base("\"max_tokens\":100"));
    otherKey(BASE, base("\"n\":2"));
    otherKey(BASE, base("\"stop\":\"x\""));
    otherKey(BASE, base("\"response_format\":{\"type\":\"json_object\"}"));
    otherKey(BASE, base("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"));
    otherKey(BASE, BASE.replace("gpt-4o-mini", "gpt-4o"));
    otherKey(BASE, BASE.replace("Say hi", "Say hi!"));
    otherKey(BASE, BASE.replace("\"user\"", "\"system\""));
  }

  @Test
  void messageOrderIsMeaning() {
    String two =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
            + "{\"role\":\"user\",\"content\":\"b\"}]}";
    otherKey(
        two, two.replace("\"a\"", "\"x\"").replace("\"b\"", "\"a\"").replace("\"x\"", "\"b\""));
  }

  @Test
  void unknownFieldsAreKeptBecauseTheyMightChangeTheAnswer() {
    otherKey(BASE, base("\"logit_bias\":{\"50256\":-100}"));
  }

  @Test
  void theFormIsTextAndItsKeyIsAHashNotThePayload() {
    CanonicalRequest form = CanonicalRequest.of(json(BASE));
    assertTrue(form.text().startsWith("{\"frequency_penalty\":0,\"messages\":"));
    assertTrue(form.sha256().matches("[0-9a-f]{64}"));
    assertTrue(!form.toString().contains("Say hi"));
    assertThrows(IllegalArgumentException.class, () -> CanonicalRequest.of(json("[1]")));
  }
}
