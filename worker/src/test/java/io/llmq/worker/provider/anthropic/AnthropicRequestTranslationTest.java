package io.llmq.worker.provider.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.job.FailureCode;
import io.llmq.worker.provider.ProviderException;
import org.junit.jupiter.api.Test;

class AnthropicRequestTranslationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final MessagesTranslator translator = new MessagesTranslator(JSON, 1234);

  /** JSON written with single quotes, for readable expectations. */
  private static JsonNode json(String singleQuoted) {
    try {
      return JSON.readTree(singleQuoted.replace('\'', '"'));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(singleQuoted, e);
    }
  }

  private JsonNode translate(String request) {
    return translator.translate(json(request), true);
  }

  @Test
  void systemAndDeveloperMessagesBecomeOneSystemString() {
    JsonNode out =
        translate(
            "{'model':'claude-x','messages':[{'role':'system','content':'Be brief.'},"
                + "{'role':'developer','content':'Answer in French.'},"
                + "{'role':'user','content':'hi'}]}");
    assertEquals("Be brief.\n\nAnswer in French.", out.get("system").asText());
    assertEquals(json("[{'role':'user','content':'hi'}]"), out.get("messages"));
    assertEquals("claude-x", out.get("model").asText());
  }

  @Test
  void systemWithContentPartsBecomesTextBlocksKeepingCacheControl() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'system','content':[{'type':'text','text':'long"
                + " manual','cache_control':{'type':'ephemeral'}}]},"
                + "{'role':'system','content':'Be brief.'},{'role':'user','content':'hi'}]}");
    assertEquals(
        json(
            "[{'type':'text','text':'long manual','cache_control':{'type':'ephemeral'}},"
                + "{'type':'text','text':'Be brief.'}]"),
        out.get("system"));
  }

  @Test
  void userContentPartsKeepCacheControlAndImagesBecomeSources() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'user','content':["
                + "{'type':'text','text':'doc','cache_control':{'type':'ephemeral'}},"
                + "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0K'}},"
                + "{'type':'image_url','image_url':{'url':'https://example.com/a.jpg',"
                + "'detail':'high'}}]}]}");
    assertEquals(
        json(
            "[{'role':'user','content':["
                + "{'type':'text','text':'doc','cache_control':{'type':'ephemeral'}},"
                + "{'type':'image','source':{'type':'base64','media_type':'image/png',"
                + "'data':'iVBORw0K'}},"
                + "{'type':'image','source':{'type':'url','url':'https://example.com/a.jpg'}}"
                + "]}]"),
        out.get("messages"));
  }

  @Test
  void consecutiveMessagesOfOneRoleAreMergedBecauseAnthropicRequiresAlternation() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'user','content':'a'},"
                + "{'role':'system','content':'s'},"
                + "{'role':'user','content':[{'type':'text','text':'b',"
                + "'cache_control':{'type':'ephemeral'}}]},"
                + "{'role':'assistant','content':'c'},{'role':'assistant','content':'d'},"
                + "{'role':'user','content':'e'}]}");
    assertEquals(
        json(
            "[{'role':'user','content':[{'type':'text','text':'a'},"
                + "{'type':'text','text':'b','cache_control':{'type':'ephemeral'}}]},"
                + "{'role':'assistant','content':[{'type':'text','text':'c'},"
                + "{'type':'text','text':'d'}]},"
                + "{'role':'user','content':'e'}]"),
        out.get("messages"));
  }

  @Test
  void toolCallsBecomeToolUseBlocksAndToolMessagesBecomeOneUserTurnOfResults() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'user','content':'weather?'},"
                + "{'role':'assistant','content':null,'tool_calls':["
                + "{'id':'call_1','type':'function','function':{'name':'get_weather',"
                + "'arguments':'{\\'city\\':\\'Paris\\'}'}},"
                + "{'id':'call_2','type':'function','function':{'name':'get_time',"
                + "'arguments':''}}]},"
                + "{'role':'tool','tool_call_id':'call_1','content':'18C'},"
                + "{'role':'tool','tool_call_id':'call_2','content':[{'type':'text',"
                + "'text':'noon'}]},"
                + "{'role':'user','content':'thanks'}]}");
    assertEquals(
        json(
            "[{'role':'user','content':'weather?'},"
                + "{'role':'assistant','content':["
                + "{'type':'tool_use','id':'call_1','name':'get_weather',"
                + "'input':{'city':'Paris'}},"
                + "{'type':'tool_use','id':'call_2','name':'get_time','input':{}}]},"
                + "{'role':'user','content':["
                + "{'type':'tool_result','tool_use_id':'call_1','content':'18C'},"
                + "{'type':'tool_result','tool_use_id':'call_2',"
                + "'content':[{'type':'text','text':'noon'}]},"
                + "{'type':'text','text':'thanks'}]}]"),
        out.get("messages"));
  }

  @Test
  void assistantTextIsKeptBeforeItsToolCalls() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'user','content':'q'},"
                + "{'role':'assistant','content':'Let me look.','tool_calls':["
                + "{'id':'call_1','type':'function','function':{'name':'f',"
                + "'arguments':'{}'}}]}]}");
    assertEquals(
        json(
            "[{'type':'text','text':'Let me look.'},"
                + "{'type':'tool_use','id':'call_1','name':'f','input':{}}]"),
        out.get("messages").get(1).get("content"));
  }

  @Test
  void functionToolsBecomeAnthropicTools() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'user','content':'q'}],'tools':["
                + "{'type':'function','function':{'name':'get_weather',"
                + "'description':'Weather now','parameters':{'type':'object',"
                + "'properties':{'city':{'type':'string'}},'required':['city']}}},"
                + "{'type':'function','function':{'name':'ping'}}]}");
    assertEquals(
        json(
            "[{'name':'get_weather','description':'Weather now','input_schema':{"
                + "'type':'object','properties':{'city':{'type':'string'}},"
                + "'required':['city']}},"
                + "{'name':'ping','input_schema':{'type':'object'}}]"),
        out.get("tools"));
    assertFalse(out.has("tool_choice"));
  }

  @Test
  void toolChoiceIsTranslated() {
    String tools =
        "{'model':'m','messages':[{'role':'user','content':'q'}],"
            + "'tools':[{'type':'function','function':{'name':'f'}}],'tool_choice':";
    assertEquals(json("{'type':'none'}"), translate(tools + "'none'}").get("tool_choice"));
    assertEquals(json("{'type':'auto'}"), translate(tools + "'auto'}").get("tool_choice"));
    assertEquals(json("{'type':'any'}"), translate(tools + "'required'}").get("tool_choice"));
    assertEquals(
        json("{'type':'tool','name':'f'}"),
        translate(tools + "{'type':'function','function':{'name':'f'}}}").get("tool_choice"));
    assertEquals(
        json("{'type':'any','disable_parallel_tool_use':true}"),
        translate(tools + "'required','parallel_tool_calls':false}").get("tool_choice"));
  }

  @Test
  void maxTokensComesFromTheRequestOrTheConfiguredDefault() {
    String messages = "'model':'m','messages':[{'role':'user','content':'q'}]";
    assertEquals(
        77,
        translate("{" + messages + ",'max_completion_tokens':77,'max_tokens':99}")
            .get("max_tokens")
            .asInt());
    assertEquals(99, translate("{" + messages + ",'max_tokens':99}").get("max_tokens").asInt());
    assertEquals(1234, translate("{" + messages + "}").get("max_tokens").asInt());
  }

  @Test
  void temperatureIsClampedToAnthropicsRangeAndTopPIsKept() {
    String messages = "'model':'m','messages':[{'role':'user','content':'q'}]";
    assertEquals(
        1.0, translate("{" + messages + ",'temperature':1.7}").get("temperature").asDouble());
    JsonNode out = translate("{" + messages + ",'temperature':0.3,'top_p':0.9}");
    assertEquals(0.3, out.get("temperature").asDouble());
    assertEquals(0.9, out.get("top_p").asDouble());
  }

  @Test
  void stopBecomesStopSequences() {
    String messages = "'model':'m','messages':[{'role':'user','content':'q'}]";
    assertEquals(
        json("['END']"), translate("{" + messages + ",'stop':'END'}").get("stop_sequences"));
    assertEquals(
        json("['a','b']"), translate("{" + messages + ",'stop':['a','b']}").get("stop_sequences"));
  }

  @Test
  void parametersAnthropicLacksAreDroppedAndStreamFollowsTheConfig() {
    // response_format is not one of them: it becomes a forced tool (AnthropicStructuredOutputTest).
    JsonNode request =
        json(
            "{'model':'m','messages':[{'role':'user','content':'q'}],'seed':7,'n':1,"
                + "'presence_penalty':0.5,'frequency_penalty':0.5,'logprobs':true,"
                + "'stream':true,"
                + "'stream_options':{'include_usage':true},'user':'tenant-a'}");
    JsonNode streamed = translator.translate(request, true);
    assertEquals(
        json(
            "{'model':'m','messages':[{'role':'user','content':'q'}],'max_tokens':1234,"
                + "'metadata':{'user_id':'tenant-a'},'stream':true}"),
        streamed);
    assertFalse(translator.translate(request, false).has("stream"));
  }

  @Test
  void contentAnthropicCannotTakeIsRejectedAsPermanent() {
    ProviderException failure =
        assertThrows(
            ProviderException.class,
            () ->
                translate(
                    "{'model':'m','messages':[{'role':'user','content':[{'type':'input_audio',"
                        + "'input_audio':{'data':'AAA','format':'wav'}}]}]}"));
    assertEquals(FailureCode.UPSTREAM_REJECTED, failure.code());
  }

  @Test
  void aCacheBreakpointOnTheToolDefinitionsIsKept() {
    JsonNode out =
        translate(
            "{'model':'m','messages':[{'role':'user','content':'q'}],'tools':[{'type':'function',"
                + "'function':{'name':'f','parameters':{'type':'object'}},"
                + "'cache_control':{'type':'ephemeral'}}]}");
    assertEquals(json("{'type':'ephemeral'}"), out.path("tools").path(0).path("cache_control"));
  }
}
