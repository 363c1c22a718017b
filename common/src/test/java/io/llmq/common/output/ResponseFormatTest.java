package io.llmq.common.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String PERSON =
      """
      {"type": "object", "required": ["name", "age"], "additionalProperties": false,
       "properties": {"name": {"type": "string", "minLength": 2},
                      "age": {"type": "integer", "minimum": 0},
                      "tags": {"type": "array", "items": {"type": "string"}},
                      "kind": {"enum": ["a", "b"]}}}
      """;

  private static JsonNode request(String format) throws Exception {
    return JSON.readTree(
        "{\"model\": \"m\", \"messages\": [], \"response_format\": " + format + "}");
  }

  private static ResponseFormat schema(String schema) throws Exception {
    return ResponseFormat.of(
            request(
                "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"p\", \"schema\": "
                    + schema
                    + "}}"))
        .orElseThrow();
  }

  @Test
  void textAndNoFormatAskNothing() throws Exception {
    assertTrue(ResponseFormat.of(request("{\"type\": \"text\"}")).isEmpty());
    assertTrue(ResponseFormat.of(JSON.readTree("{\"model\": \"m\"}")).isEmpty());
  }

  @Test
  void jsonObjectMustParseAsAnObject() throws Exception {
    ResponseFormat format = ResponseFormat.of(request("{\"type\": \"json_object\"}")).orElseThrow();
    assertEquals(List.of(), format.errorsOf("{\"a\": 1}"));
    assertTrue(
        format.errorsOf("the simulated model answers").getFirst().contains("not valid JSON"));
    assertTrue(format.errorsOf("[1, 2]").getFirst().contains("not an object"));
    assertTrue(format.errorsOf("").getFirst().contains("empty"));
  }

  @Test
  void anAnswerIsValidatedAgainstItsSchema() throws Exception {
    ResponseFormat format = schema(PERSON);
    assertEquals(List.of(), format.errorsOf("{\"name\": \"Ada\", \"age\": 36}"));
    List<String> errors = format.errorsOf("{\"name\": \"A\", \"extra\": true}");
    assertEquals(3, errors.size(), errors.toString());
    String all = String.join("; ", errors);
    assertTrue(errors.contains("required property 'age' not found"), all);
    assertTrue(errors.contains("/name: must be at least 2 characters long"), all);
    assertTrue(all.contains("extra"), all);
  }

  @Test
  void manyErrorsAreCappedAndCounted() throws Exception {
    StringBuilder props = new StringBuilder();
    StringBuilder required = new StringBuilder();
    for (int i = 0; i < 15; i++) {
      props.append(i == 0 ? "" : ",").append("\"p").append(i).append("\": {\"type\": \"string\"}");
      required.append(i == 0 ? "" : ",").append("\"p").append(i).append('"');
    }
    ResponseFormat format =
        schema(
            "{\"type\": \"object\", \"properties\": {"
                + props
                + "}, \"required\": ["
                + required
                + "]}");
    List<String> errors = format.errorsOf("{}");
    assertEquals(ResponseFormat.MAX_ERRORS + 1, errors.size());
    assertEquals("and 5 more", errors.getLast());
  }

  @Test
  void aSchemaThatIsNoSchemaIsNamed() throws Exception {
    assertEquals(List.of(), schema(PERSON).schemaProblems());
    assertFalse(schema("{\"type\": \"strin\"}").schemaProblems().isEmpty());
    assertFalse(
        schema("{\"type\": \"object\", \"required\": \"name\"}").schemaProblems().isEmpty());
    assertFalse(schema("{\"minLength\": -1}").schemaProblems().isEmpty());
    assertFalse(schema("[1]").schemaProblems().isEmpty());
  }

  @Test
  void aRemoteRefIsNeverFetched() throws Exception {
    ResponseFormat format = schema("{\"$ref\": \"https://example.com/schema.json\"}");
    List<String> problems = format.schemaProblems();
    assertFalse(problems.isEmpty(), "a remote $ref cannot be used");
    assertFalse(format.errorsOf("{}").isEmpty());
  }

  @Test
  void theExampleOfASchemaSatisfiesIt() throws Exception {
    JsonNode person = JSON.readTree(PERSON);
    JsonNode example = SchemaExample.of(person, "word");
    assertEquals(List.of(), schema(PERSON).errorsOf(example.toString()), example.toString());
    JsonNode broken = SchemaExample.missingRequired(person, "word");
    assertFalse(schema(PERSON).errorsOf(broken.toString()).isEmpty());
    String nested =
        """
        {"type": "object", "required": ["items"], "$defs": {"item": {"type": "object",
         "required": ["id", "at"], "properties": {"id": {"type": "integer", "exclusiveMinimum": 0},
         "at": {"type": "string", "format": "date-time"}}}},
         "properties": {"items": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/item"}},
                        "note": {"anyOf": [{"type": "null"}, {"type": "string"}]}}}
        """;
    JsonNode value = SchemaExample.of(JSON.readTree(nested), "x");
    assertEquals(List.of(), schema(nested).errorsOf(value.toString()), value.toString());
  }
}
