package io.llmq.common.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void keyOrderAndWhiteSpaceDoNotChangeTheCanonicalForm() throws Exception {
    JsonNode a = JSON.readTree("{\"b\": 1, \"a\": {\"y\": [1, 2], \"x\": \"s\"}}");
    JsonNode b = JSON.readTree("{\"a\":{\"x\":\"s\",\"y\":[1,2]},\"b\":1}");
    assertEquals("{\"a\":{\"x\":\"s\",\"y\":[1,2]},\"b\":1}", CanonicalJson.write(a));
    assertEquals(CanonicalJson.sha256(a), CanonicalJson.sha256(b));
  }

  @Test
  void equalNumbersInDifferentSpellingsAgree() throws Exception {
    assertEquals(
        CanonicalJson.write(JSON.readTree("{\"t\": 1.0, \"u\": 0.50}")),
        CanonicalJson.write(JSON.readTree("{\"t\": 1, \"u\": 5e-1}")));
  }

  @Test
  void aChangedValueOrArrayOrderChangesTheHash() throws Exception {
    JsonNode base = JSON.readTree("{\"t\": 0.7, \"m\": [\"a\", \"b\"]}");
    assertNotEquals(
        CanonicalJson.sha256(base),
        CanonicalJson.sha256(JSON.readTree("{\"t\": 0.8, \"m\": [\"a\", \"b\"]}")));
    assertNotEquals(
        CanonicalJson.sha256(base),
        CanonicalJson.sha256(JSON.readTree("{\"t\": 0.7, \"m\": [\"b\", \"a\"]}")));
  }

  @Test
  void sha256IsHexOfTheUtf8Bytes() {
    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        CanonicalJson.sha256(""));
  }
}
