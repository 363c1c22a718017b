package io.llmq.worker.provider.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.job.FailureCode;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.Delta;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.llmq.worker.provider.Samples;
import io.llmq.worker.provider.SseLines;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnthropicResponseTranslationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final RateLimitSnapshot LIMITS =
      new RateLimitSnapshot(50L, 49L, Duration.ofSeconds(1), null, null, null, null);

  private final CompletionTranslator translator = new CompletionTranslator(JSON);
  private final List<Delta> deltas = new ArrayList<>();

  /** Feeds a recorded stream in 7-byte chunks, so lines and characters are cut mid-way. */
  private MessageStreamAssembler replay(byte[] stream) {
    MessageStreamAssembler assembler = new MessageStreamAssembler(JSON, deltas::add, LIMITS);
    SseLines lines = new SseLines();
    for (int from = 0; from < stream.length; from += 7) {
      byte[] chunk = Arrays.copyOfRange(stream, from, Math.min(stream.length, from + 7));
      lines.feed(chunk).forEach(assembler::accept);
    }
    lines.finish().forEach(assembler::accept);
    assembler.end();
    return assembler;
  }

  private String streamedText() {
    return String.join("", deltas.stream().map(Delta::content).toList());
  }

  @Test
  void aMessageBecomesAChatCompletionWithToolCallsAndCacheWrites() throws Exception {
    JsonNode message = JSON.readTree(Samples.bytes("anthropic/message.json"));
    long before = Instant.now().getEpochSecond();

    Completion completion = translator.translate(message, "fallback", LIMITS);

    JsonNode result = completion.result();
    assertEquals("msg_01Aq9w938a90dw8q", result.get("id").asText());
    assertEquals("chat.completion", result.get("object").asText());
    assertTrue(result.get("created").asLong() >= before);
    assertEquals("claude-sonnet-4-5-20250929", result.get("model").asText());
    JsonNode choice = result.get("choices").get(0);
    assertEquals(0, choice.get("index").asInt());
    assertEquals("tool_calls", choice.get("finish_reason").asText());
    assertEquals("assistant", choice.get("message").get("role").asText());
    assertEquals("I'll look that up.", choice.get("message").get("content").asText());
    JsonNode call = choice.get("message").get("tool_calls").get(0);
    assertEquals("toolu_01A09q90qw90lq917835lq9", call.get("id").asText());
    assertEquals("function", call.get("type").asText());
    assertEquals("get_weather", call.get("function").get("name").asText());
    assertEquals(
        message.get("content").get(1).get("input"),
        JSON.readTree(call.get("function").get("arguments").asText()));
    assertEquals(
        JSON.readTree(
            "{\"prompt_tokens\":2435,\"completion_tokens\":58,\"total_tokens\":2493,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":0}}"),
        result.get("usage"));
    assertEquals(2435, completion.promptTokens());
    assertEquals(0, completion.cachedPromptTokens());
    assertEquals(2051, completion.cacheWriteTokens());
    assertEquals(58, completion.completionTokens());
    assertSame(LIMITS, completion.limits());
  }

  @Test
  void aTextStreamIsAssembledWithItsCacheReadsCountedInThePrompt() {
    MessageStreamAssembler assembler = replay(Samples.bytes("anthropic/text-stream.sse"));
    assertTrue(assembler.complete());

    Completion completion = translator.translate(assembler.message(), "fallback", LIMITS);

    JsonNode result = completion.result();
    String text = "The queue holds every job until a worker takes it — héllo ✓.";
    assertEquals("msg_01XFDUDYJgAACzvnptvVoYEL", result.get("id").asText());
    assertEquals("claude-sonnet-4-5-20250929", result.get("model").asText());
    JsonNode choice = result.get("choices").get(0);
    assertEquals(text, choice.get("message").get("content").asText());
    assertFalse(choice.get("message").has("tool_calls"));
    assertEquals("stop", choice.get("finish_reason").asText());
    assertEquals(1864, result.get("usage").get("prompt_tokens").asInt());
    assertEquals(17, result.get("usage").get("completion_tokens").asInt());
    assertEquals(1881, result.get("usage").get("total_tokens").asInt());
    assertEquals(
        1843, result.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt());
    assertEquals(1864, completion.promptTokens());
    assertEquals(1843, completion.cachedPromptTokens());
    assertEquals(0, completion.cacheWriteTokens());
    assertEquals(17, completion.completionTokens());
    assertEquals(text, streamedText());
    assertEquals(List.of(1, 2, 3), deltas.stream().map(Delta::completionTokens).toList());
  }

  @Test
  void aToolUseStreamJoinsTheInputJsonPieces() throws Exception {
    MessageStreamAssembler assembler = replay(Samples.bytes("anthropic/tool-use-stream.sse"));

    Completion completion = translator.translate(assembler.message(), "fallback", LIMITS);

    JsonNode message = completion.result().get("choices").get(0).get("message");
    assertEquals("Okay, let me check the weather.", message.get("content").asText());
    assertEquals("Okay, let me check the weather.", streamedText());
    JsonNode call = message.get("tool_calls").get(0);
    assertEquals("toolu_01T1x1fJ34qAmk2tNTrN7Up6", call.get("id").asText());
    assertEquals("get_weather", call.get("function").get("name").asText());
    assertEquals(
        JSON.readTree("{\"location\":\"San Francisco, CA\",\"unit\":\"fahrenheit\"}"),
        JSON.readTree(call.get("function").get("arguments").asText()));
    assertEquals(
        "tool_calls", completion.result().get("choices").get(0).get("finish_reason").asText());
    assertEquals(1496, completion.promptTokens());
    assertEquals(1024, completion.cacheWriteTokens());
    assertEquals(89, completion.completionTokens());
  }

  @Test
  void onlyToolUseGivesNullContent() throws Exception {
    JsonNode message =
        JSON.readTree(
            "{\"id\":\"msg_1\",\"type\":\"message\",\"model\":\"m\",\"stop_reason\":\"tool_use\","
                + "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\","
                + "\"input\":{}}],\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}");
    JsonNode out = translator.translate(message, "m", LIMITS).result();
    assertTrue(out.get("choices").get(0).get("message").get("content").isNull());
    assertEquals(
        "{}",
        out.get("choices")
            .get(0)
            .get("message")
            .get("tool_calls")
            .get(0)
            .get("function")
            .get("arguments")
            .asText());
  }

  @Test
  void anErrorEventMidStreamFailsTheCallAsTheStatusItStandsFor() {
    ProviderException failure =
        assertThrows(
            ProviderException.class, () -> replay(Samples.bytes("anthropic/error-stream.sse")));
    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("529"));
    assertTrue(failure.getMessage().contains("Overloaded"));
    assertEquals("Partial", streamedText());
  }

  @Test
  void errorTypesMapToTheirStatuses() {
    assertEquals(FailureCode.UPSTREAM_RATE_LIMITED, streamError("rate_limit_error", "slow down"));
    assertEquals(FailureCode.UPSTREAM_ERROR, streamError("api_error", "oops"));
    assertEquals(
        FailureCode.CONTEXT_LENGTH_EXCEEDED,
        streamError("invalid_request_error", "prompt is too long: 210000 tokens > 200000"));
    assertEquals(FailureCode.UPSTREAM_REJECTED, streamError("invalid_request_error", "bad"));
  }

  private FailureCode streamError(String type, String message) {
    String stream =
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\""
            + type
            + "\",\"message\":\""
            + message
            + "\"}}\n\n";
    return assertThrows(
            ProviderException.class, () -> replay(stream.getBytes(StandardCharsets.UTF_8)))
        .code();
  }

  @Test
  void aStreamCutBeforeMessageStopIsNotComplete() {
    String whole = new String(Samples.bytes("anthropic/text-stream.sse"), StandardCharsets.UTF_8);
    String cut = whole.substring(0, whole.indexOf("event: message_delta"));
    MessageStreamAssembler assembler = replay(cut.getBytes(StandardCharsets.UTF_8));
    assertTrue(assembler.sawAnything());
    assertFalse(assembler.complete());
  }

  @Test
  void unparseableDataIsMalformed() {
    byte[] stream = "event: message_start\ndata: {not json\n\n".getBytes(StandardCharsets.UTF_8);
    ProviderException failure = assertThrows(ProviderException.class, () -> replay(stream));
    assertEquals(FailureCode.UPSTREAM_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("cannot read"));
  }

  @Test
  void stopReasonsMapToFinishReasons() {
    assertEquals("stop", CompletionTranslator.finishReason("end_turn"));
    assertEquals("stop", CompletionTranslator.finishReason("stop_sequence"));
    assertEquals("length", CompletionTranslator.finishReason("max_tokens"));
    assertEquals("tool_calls", CompletionTranslator.finishReason("tool_use"));
    assertEquals("content_filter", CompletionTranslator.finishReason("refusal"));
    assertEquals("stop", CompletionTranslator.finishReason("pause_turn"));
  }
}
