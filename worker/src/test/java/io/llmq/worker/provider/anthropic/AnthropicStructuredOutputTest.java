package io.llmq.worker.provider.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.RateLimitSnapshot;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A JSON {@code response_format} on the Messages API ({@link StructuredOutput}): sent as a forced
 * tool call, and the tool's input read back as the answer's content, whole or streamed.
 */
class AnthropicStructuredOutputTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEMA =
      "{'type':'object','required':['name'],'properties':{'name':{'type':'string'}}}";

  private final MessagesTranslator requests = new MessagesTranslator(JSON, 1234);
  private final CompletionTranslator responses = new CompletionTranslator(JSON);

  private static JsonNode json(String singleQuoted) throws Exception {
    return JSON.readTree(singleQuoted.replace('\'', '"'));
  }

  private static JsonNode request(String format) throws Exception {
    return json(
        "{'model':'claude-haiku-4-5','messages':[{'role':'user','content':'Who?'}],"
            + "'response_format':"
            + format
            + "}");
  }

  @Test
  void aJsonSchemaBecomesAForcedToolWithTheSchemaAsItsInput() throws Exception {
    JsonNode out =
        requests.translate(
            request(
                "{'type':'json_schema','json_schema':{'name':'person','schema':" + SCHEMA + "}}"),
            false);
    assertEquals("person", out.path("tools").path(0).path("name").asText());
    assertEquals(json(SCHEMA), out.path("tools").path(0).path("input_schema"));
    assertEquals(json("{'type':'tool','name':'person'}"), out.get("tool_choice"));
    assertFalse(out.has("response_format"));
  }

  @Test
  void aJsonObjectBecomesAToolTakingAnyObject() throws Exception {
    JsonNode out = requests.translate(request("{'type':'json_object'}"), false);
    assertEquals(StructuredOutput.DEFAULT_NAME, out.path("tools").path(0).path("name").asText());
    assertEquals(json("{'type':'object'}"), out.path("tools").path(0).path("input_schema"));
    assertEquals(StructuredOutput.DEFAULT_NAME, out.path("tool_choice").path("name").asText());
    JsonNode text = requests.translate(request("{'type':'text'}"), false);
    assertFalse(text.has("tools") || text.has("tool_choice"));
  }

  @Test
  void theToolsInputComesBackAsTheContent() throws Exception {
    JsonNode message =
        json(
            "{'id':'msg_1','type':'message','model':'claude-haiku-4-5','content':["
                + "{'type':'text','text':'Here you go.'},"
                + "{'type':'tool_use','id':'toolu_1','name':'person','input':{'name':'Ada'}}],"
                + "'stop_reason':'tool_use','usage':{'input_tokens':10,'output_tokens':5}}");
    Completion completion =
        responses.translate(message, "m", RateLimitSnapshot.NONE, "person", null);
    JsonNode choice = completion.result().path("choices").path(0);
    assertEquals(
        json("{'name':'Ada'}"), JSON.readTree(choice.path("message").path("content").asText()));
    assertFalse(choice.path("message").has("tool_calls"));
    assertEquals("stop", choice.path("finish_reason").asText());
    assertEquals(5, completion.completionTokens());
  }

  @Test
  void aStreamedInputIsPassedOnAsDeltasThatMakeTheContent() {
    List<Delta> deltas = new ArrayList<>();
    MessageStreamAssembler assembler =
        new MessageStreamAssembler(JSON, deltas::add, RateLimitSnapshot.NONE, "person");
    String stream =
        """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"person","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"name\\": "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"Ada\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":6}}

        event: message_stop
        data: {"type":"message_stop"}

        """;
    stream.lines().forEach(assembler::accept);
    assembler.end();
    assertTrue(assembler.complete());
    Completion completion =
        responses.translate(
            assembler.message(), "m", RateLimitSnapshot.NONE, "person", assembler.answerText());
    String content =
        completion.result().path("choices").path(0).path("message").path("content").asText();
    assertEquals("{\"name\": \"Ada\"}", content);
    assertEquals(content, String.join("", deltas.stream().map(Delta::content).toList()));
  }
}
