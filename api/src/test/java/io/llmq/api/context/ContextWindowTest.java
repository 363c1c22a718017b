package io.llmq.api.context;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.SseClient;
import io.llmq.api.TestSql;
import io.llmq.api.TestTenants;
import io.llmq.common.request.TokenEstimator;
import io.llmq.common.testing.LlmqTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Context windows at submit (SPEC §2 Errors, §3 Context windows), through {@code POST /v1/jobs}
 * with the test profile's {@code small-window} model (a window of 1,000 tokens, at most 500 output
 * tokens, prompts counted with gpt-4o-mini's tokenizer) and the predefined models' real figures.
 * The expected counts come from {@link TokenEstimator}, the counter the api uses; each test first
 * checks that its conversation has the shape it needs. No worker runs: accepted jobs stay queued.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class ContextWindowTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "small-window";
  private static final String TOKENIZER = "gpt-4o-mini";
  private static final long WINDOW = 1000;

  @Inject MeterRegistry metrics;

  private static ObjectNode message(String role, String content) {
    ObjectNode message = JSON.createObjectNode().put("role", role);
    return content == null ? message.putNull("content") : message.put("content", content);
  }

  private static String words(String word, int count) {
    return (word + " ").repeat(count).trim();
  }

  /**
   * A conversation of two earlier turns and a last one: a system prompt; turn 1 (a user question
   * and an answer); turn 2 (a user question, an assistant's tool call, a developer note between
   * them that must stay, the tool's result); and the last user turn, long enough that it alone
   * nearly fills the window with a large {@code max_tokens}.
   */
  private static List<ObjectNode> conversation() {
    ObjectNode call = message("assistant", null);
    call.putArray("tool_calls")
        .addObject()
        .put("id", "call_1")
        .put("type", "function")
        .putObject("function")
        .put("name", "lookup")
        .put("arguments", "{\"q\":\"weather\"}");
    return List.of(
        message("system", "You are terse."),
        message("user", words("alpha", 150)),
        message("assistant", "Noted."),
        message("user", words("bravo", 100)),
        call,
        message("developer", "Answer in French."),
        message("tool", words("charlie", 100)).put("tool_call_id", "call_1"),
        message("user", words("delta", 520)));
  }

  private static ObjectNode request(List<ObjectNode> messages, String extra) throws Exception {
    ObjectNode request = JSON.createObjectNode().put("model", MODEL);
    ArrayNode array = request.putArray("messages");
    messages.forEach(array::add);
    if (!extra.isEmpty()) {
      request.setAll((ObjectNode) JSON.readTree("{" + extra + "}"));
    }
    return request;
  }

  private static long prompt(List<ObjectNode> messages) throws Exception {
    return TokenEstimator.promptTokens(TOKENIZER, request(messages, ""));
  }

  private static List<ObjectNode> keep(List<ObjectNode> messages, int... indexes) {
    List<ObjectNode> kept = new ArrayList<>();
    for (int index : indexes) {
      kept.add(messages.get(index));
    }
    return kept;
  }

  private static ValidatableResponse submit(String key, String body, String... headers) {
    var call =
        given().header("Authorization", bearer(key)).contentType(ContentType.JSON).body(body);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      call.header(headers[i], headers[i + 1]);
    }
    return call.post("/v1/jobs").then();
  }

  private static String body(ObjectNode request, String policy) {
    return "{\"request\":"
        + request
        + (policy == null ? "" : ",\"context_policy\":" + policy)
        + "}";
  }

  private static void nothingStored(String key) {
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs")
        .then()
        .statusCode(200)
        .body("data", hasSize(0));
  }

  private static JsonNode storedRequest(String id) throws Exception {
    return JSON.readTree(
        TestSql.column("SELECT request::text FROM jobs WHERE id = ?", UUID.fromString(id))
            .getFirst());
  }

  private static String needs(long prompt, String output, long outputTokens) {
    return String.format(
        Locale.ROOT,
        "The request needs %,d tokens (prompt %,d + %s) but the context window of small-window is"
            + " 1,000 tokens. Shorten the conversation, lower max_tokens, or submit with"
            + " context_policy trim.",
        prompt + outputTokens,
        prompt,
        output);
  }

  @Test
  void aRequestOverTheWindowIsRefusedNamingTheNumbersAndOneAtItIsAccepted() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = keep(conversation(), 0, 7);
    long prompt = prompt(messages);
    long fits = WINDOW - prompt;
    assertTrue(fits > 1 && fits <= 500, "the prompt leaves room for a legal max_tokens: " + fits);

    isProblem(
            submit(key, body(request(messages, "\"max_tokens\":" + (fits + 1)), null)),
            400,
            "invalid_request")
        .body("detail", equalTo(needs(prompt, "max_tokens " + (fits + 1), fits + 1)));
    isProblem(
            submit(
                key,
                body(request(messages, "\"max_completion_tokens\":" + (fits + 1)), "\"reject\"")),
            400,
            "invalid_request")
        .body("detail", equalTo(needs(prompt, "max_completion_tokens " + (fits + 1), fits + 1)));
    nothingStored(key);

    submit(key, body(request(messages, "\"max_tokens\":" + fits), null))
        .statusCode(202)
        .body("guardrails", nullValue());
  }

  @Test
  void withoutMaxTokensTheProvidersDefaultCountsCappedAtTheModelsOutputLimit() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = keep(conversation(), 0, 7);
    long prompt = prompt(messages);
    // The simulated provider's default-max-tokens is 4,096; small-window produces at most 500.
    assertTrue(prompt + 500 > WINDOW, "the default output does not fit: " + prompt);

    isProblem(submit(key, body(request(messages, ""), "null")), 400, "invalid_request")
        .body(
            "detail",
            equalTo(needs(prompt, "500 output tokens, the default without max_tokens", 500)));
    nothingStored(key);
  }

  @Test
  void maxTokensAboveTheModelsOutputLimitIs400NamingBothNumbers() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = List.of(message("user", "Hello"));

    isProblem(
            submit(key, body(request(messages, "\"max_tokens\":501"), "\"trim\"")),
            400,
            "invalid_request")
        .body(
            "detail",
            equalTo(
                "'request.max_tokens' is 501 but small-window produces at most 500 output"
                    + " tokens."));
    isProblem(
            submit(key, body(request(messages, "\"max_completion_tokens\":2000"), null)),
            400,
            "invalid_request")
        .body(
            "detail",
            equalTo(
                "'request.max_completion_tokens' is 2,000 but small-window produces at most"
                    + " 500 output tokens."));
    // The predefined models carry their published limits: gpt-4o-mini produces up to 16,384.
    String mini =
        "{\"request\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":%d,\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"Hello\"}]}}";
    isProblem(submit(key, String.format(mini, 16_385)), 400, "invalid_request")
        .body(
            "detail",
            equalTo(
                "'request.max_tokens' is 16,385 but gpt-4o-mini produces at most 16,384"
                    + " output tokens."));
    nothingStored(key);
    submit(key, String.format(mini, 16_384)).statusCode(202);
  }

  @Test
  void trimDropsTheOldestTurnAndStoresTheTrimmedRequest() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = conversation();
    List<ObjectNode> withoutTurn1 = keep(messages, 0, 3, 4, 5, 6, 7);
    long maxTokens = WINDOW - prompt(withoutTurn1);
    assertTrue(
        maxTokens > 0 && maxTokens <= 500 && prompt(messages) + maxTokens > WINDOW,
        "dropping the first turn is needed and enough");
    double trimmedBefore = metrics.counter("llmq.guardrails.trimmed", "model", MODEL).count();

    String id =
        submit(key, body(request(messages, "\"max_tokens\":" + maxTokens), "\"trim\""))
            .statusCode(202)
            .body("guardrails.trimmed_messages", equalTo(2))
            .extract()
            .path("id");

    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("guardrails.trimmed_messages", equalTo(2))
        .body("guardrails.repairs", equalTo(0))
        .body("guardrails.moderation", nullValue());
    assertEquals(request(withoutTurn1, "\"max_tokens\":" + maxTokens), storedRequest(id));
    assertEquals(
        trimmedBefore + 1, metrics.counter("llmq.guardrails.trimmed", "model", MODEL).count());
    // The job's first progress event shows it too.
    try (SseClient stream = SseClient.open(id, key)) {
      SseClient.Event first = stream.awaitEvents(1).getFirst();
      assertEquals("status", first.type());
      assertEquals(
          2, JSON.readTree(first.data()).path("guardrails").path("trimmed_messages").asInt());
    }
  }

  @Test
  void trimDropsWholeTurnsKeepingToolCallsWithTheirResultsAndEverySystemMessage() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = conversation();
    List<ObjectNode> kept = keep(messages, 0, 5, 7);
    long maxTokens = WINDOW - prompt(kept);
    assertTrue(
        maxTokens > 0
            && maxTokens <= 500
            && prompt(keep(messages, 0, 3, 4, 5, 6, 7)) + maxTokens > WINDOW,
        "both earlier turns must go");

    String id =
        submit(key, body(request(messages, "\"max_tokens\":" + maxTokens), "\"trim\""))
            .statusCode(202)
            .body("guardrails.trimmed_messages", equalTo(5))
            .extract()
            .path("id");

    // Left: the system prompt, the developer note from the middle, and the last user turn. The
    // tool call went with its result.
    assertEquals(request(kept, "\"max_tokens\":" + maxTokens), storedRequest(id));
  }

  @Test
  void aRequestThatFitsIsNotTrimmed() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = conversation();
    ObjectNode request = request(keep(messages, 0, 1, 2, 3), "\"max_tokens\":10");

    String id =
        submit(key, body(request, "\"trim\""))
            .statusCode(202)
            .body("guardrails", nullValue())
            .extract()
            .path("id");
    assertEquals(request, storedRequest(id));
  }

  @Test
  void aRequestThatCannotFitEvenTrimmedIs400() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = conversation();
    long left = prompt(keep(messages, 0, 5, 7));
    assertTrue(left + 500 > WINDOW, "the kept messages leave no room for 500 tokens");

    isProblem(
            submit(key, body(request(messages, "\"max_tokens\":500"), "\"trim\"")),
            400,
            "invalid_request")
        .body(
            "detail",
            equalTo(
                String.format(
                    Locale.ROOT,
                    "The request cannot fit the context window of small-window (1,000 tokens)"
                        + " even trimmed: without its earlier turns it still needs %,d tokens"
                        + " (prompt %,d + max_tokens 500), for its system messages and its last"
                        + " user turn. Shorten them or lower max_tokens.",
                    left + 500,
                    left)));
    nothingStored(key);
  }

  @Test
  void anIdempotentReplayOfATrimmedJobAnswersTheSameJobUnchanged() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = conversation();
    long maxTokens = WINDOW - prompt(keep(messages, 0, 3, 4, 5, 6, 7));
    String body = body(request(messages, "\"max_tokens\":" + maxTokens), "\"trim\"");
    String idempotencyKey = "trim-" + UUID.randomUUID();

    String id =
        submit(key, body, "Idempotency-Key", idempotencyKey).statusCode(202).extract().path("id");
    JsonNode stored = storedRequest(id);
    submit(key, body, "Idempotency-Key", idempotencyKey)
        .statusCode(200)
        .body("id", equalTo(id))
        .body("guardrails.trimmed_messages", equalTo(2));
    assertEquals(stored, storedRequest(id));
    // The same key with the other policy is another body.
    isProblem(
        submit(key, body.replace("\"trim\"", "\"reject\""), "Idempotency-Key", idempotencyKey),
        409,
        "conflict");
  }

  @Test
  void gpt4oMinisRealWindowRefusesOrTrimsALongConversation() throws Exception {
    String key = TestTenants.freshKey();
    // A pasted document of about 130,000 tokens in the first turn: past 128,000 on its own.
    ObjectNode request = JSON.createObjectNode().put("model", "gpt-4o-mini").put("max_tokens", 50);
    ArrayNode messages = request.putArray("messages");
    messages.add(message("system", "You are terse."));
    messages.add(message("user", "word ".repeat(130_000)));
    messages.add(message("assistant", "Read it."));
    messages.add(message("user", "Name a colour."));
    long prompt = TokenEstimator.promptTokens("gpt-4o-mini", request);
    assertTrue(prompt > 128_000, "the conversation is past the window: " + prompt);

    isProblem(submit(key, body(request, null)), 400, "invalid_request")
        .body(
            "detail",
            equalTo(
                String.format(
                    Locale.ROOT,
                    "The request needs %,d tokens (prompt %,d + max_tokens 50) but the context"
                        + " window of gpt-4o-mini is 128,000 tokens. Shorten the conversation,"
                        + " lower max_tokens, or submit with context_policy trim.",
                    prompt + 50,
                    prompt)));
    String id =
        submit(key, body(request, "\"trim\""))
            .statusCode(202)
            .body("guardrails.trimmed_messages", equalTo(2))
            .extract()
            .path("id");
    assertEquals(
        List.of("system", "user"), storedRequest(id).path("messages").findValuesAsText("role"));
  }

  @Test
  void aModelWithoutAWindowIsNeitherCheckedNorTrimmed() throws Exception {
    String key = TestTenants.freshKey();
    // llmq-sim has no context-window and no max-output-tokens.
    String id =
        submit(
                key,
                "{\"request\":{\"model\":\"llmq-sim\",\"max_tokens\":1000000,\"messages\":"
                    + JSON.valueToTree(conversation())
                    + "},\"context_policy\":\"trim\"}")
            .statusCode(202)
            .body("guardrails", nullValue())
            .extract()
            .path("id");
    assertEquals(8, storedRequest(id).path("messages").size());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"drop\"",
        "\"TRIM\"",
        "\"Reject\"",
        "\" trim\"",
        "\"\"",
        "0",
        "1.5",
        "true",
        "[\"trim\"]",
        "{\"policy\":\"trim\"}"
      })
  void aBadContextPolicyIs400NamingTheFieldAndStoresNothing(String value) throws Exception {
    String key = TestTenants.freshKey();
    ObjectNode request = request(List.of(message("user", "Hello")), "");

    isProblem(submit(key, body(request, value)), 400, "invalid_request")
        .body("detail", equalTo("'context_policy' must be reject or trim."));
    nothingStored(key);
  }

  @Test
  void aNullContextPolicyIsTheDefaultReject() throws Exception {
    String key = TestTenants.freshKey();
    List<ObjectNode> messages = keep(conversation(), 0, 7);

    isProblem(
        submit(key, body(request(messages, "\"max_tokens\":500"), "null")), 400, "invalid_request");
    submit(key, body(request(List.of(message("user", "Hello")), ""), "null")).statusCode(202);
  }
}
