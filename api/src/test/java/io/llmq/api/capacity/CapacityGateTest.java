package io.llmq.api.capacity;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.TestTenants;
import io.llmq.common.cache.CacheConfig;
import io.llmq.common.cache.CacheKey;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.cache.CachedAnswers;
import io.llmq.common.provider.LimiterCounting;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Never-fits at submit, through {@code POST /v1/jobs} with the test profile's providers: {@code
 * limited} (openai kind, 20,000 tokens per minute, counting characters) serving {@code
 * limited-mini} and {@code limited-capped} (a model limit of its own, 5,000), and {@code tokenized}
 * (anthropic kind, 10,000, counting with the tokenizer) serving {@code tokenized-haiku}. Models of
 * the built-in simulator ({@code llmq-sim}, and {@code gpt-4o-mini}, whose provider has no key
 * here) have no provider limit. No worker runs: accepted jobs stay queued.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class CapacityGateTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  /** "Hello" is 5 characters: ceil(5 / 4) + 3 = 5 tokens as the limiter counts characters. */
  private static final String HELLO = "[{\"role\":\"user\",\"content\":\"Hello\"}]";

  @Inject ProvidersConfig providers;
  @Inject CachedAnswers answers;
  @Inject CacheConfig cache;
  @Inject ObjectMapper json;
  @Inject ReactiveRedisDataSource redis;

  private static String request(String model, String extra) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":"
        + HELLO
        + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }

  private static ValidatableResponse submit(String key, String request, String... headers) {
    var call =
        given()
            .header("Authorization", bearer(key))
            .contentType(ContentType.JSON)
            .body("{\"request\":" + request + "}");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      call.header(headers[i], headers[i + 1]);
    }
    return call.post("/v1/jobs").then();
  }

  private static String tenantWithTokensPerMinute(Integer tokensPerMinute) {
    String tenant = TestTenants.tenant("fits-" + System.nanoTime());
    if (tokensPerMinute != null) {
      given()
          .header("Authorization", TestTenants.ADMIN)
          .contentType(ContentType.JSON)
          .body(Map.of("limits", Map.of("tokens_per_minute", tokensPerMinute)))
          .patch("/v1/admin/tenants/" + tenant)
          .then()
          .statusCode(200);
    }
    return tenant;
  }

  @Test
  void aJobPastAMinuteOfTheProvidersLimitIs400NamingIt() {
    String key = TestTenants.freshKey();

    isProblem(submit(key, request("limited-mini", "\"max_tokens\":30000")), 400, "invalid_request")
        .body(
            "detail",
            equalTo(
                "The request's worst case is 30,005 tokens as the provider counts it (prompt 5 +"
                    + " max_tokens 30,000); the provider limited allows 20,000 tokens per minute,"
                    + " so it could never run. Lower max_tokens or n, or shorten the prompt."));
    // Nothing was stored.
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs")
        .then()
        .statusCode(200)
        .body("data", hasSize(0));
  }

  @Test
  void aJobThatFitsIsAccepted() {
    String key = TestTenants.freshKey();

    submit(key, request("limited-mini", "\"max_tokens\":19995")).statusCode(202);
    // Without max_tokens the provider's default-max-tokens (4,096) counts.
    submit(key, request("limited-mini", "")).statusCode(202);
  }

  @Test
  void everyChoiceCountsItsPromptAndItsMaxTokens() {
    String key = TestTenants.freshKey();

    isProblem(
            submit(key, request("limited-mini", "\"max_tokens\":5000,\"n\":4")),
            400,
            "invalid_request")
        .body(
            "detail",
            containsString(
                "worst case is 20,020 tokens as the provider counts it (prompt 5 × 4 +"
                    + " max_tokens 5,000 × 4)"));
    submit(key, request("limited-mini", "\"max_tokens\":5000,\"n\":3")).statusCode(202);
  }

  @Test
  void theModelsOwnLimitCountsToo() {
    String key = TestTenants.freshKey();

    isProblem(submit(key, request("limited-capped", "\"n\":2")), 400, "invalid_request")
        .body("detail", containsString("worst case is 8,202 tokens"))
        .body(
            "detail",
            containsString("the model limited-capped at limited allows 5,000 tokens per minute"));
    submit(key, request("limited-capped", "")).statusCode(202);
  }

  @Test
  void theTenantsLimitCountsEvenForTheSimulator() {
    String key = TestTenants.key(tenantWithTokensPerMinute(1000));

    isProblem(submit(key, request("llmq-sim", "\"max_tokens\":2000")), 400, "invalid_request")
        .body("detail", containsString("your tenant allows 1,000 tokens per minute"));
    submit(key, request("llmq-sim", "\"max_tokens\":500")).statusCode(202);
  }

  @Test
  void theTightestLimitExceededIsNamed() {
    String key = TestTenants.key(tenantWithTokensPerMinute(3000));

    isProblem(
            submit(key, request("limited-capped", "\"max_tokens\":25000")), 400, "invalid_request")
        .body("detail", containsString("your tenant allows 3,000 tokens per minute"));
  }

  @Test
  void aSimulatedModelHasNoProviderLimit() {
    String key = TestTenants.freshKey();

    submit(key, request("llmq-sim", "\"max_tokens\":1000000")).statusCode(202);
    // gpt-4o-mini's provider has no key in the tests, so the simulator answers it (at most its
    // own output limit of 16,384 tokens per choice).
    submit(key, request("gpt-4o-mini", "\"max_tokens\":16384,\"n\":16")).statusCode(202);
  }

  @Test
  void aTokenizerCountingProviderIsCheckedWithItsTokenizerCount() {
    String key = TestTenants.freshKey();

    isProblem(
            submit(key, request("tokenized-haiku", "\"max_tokens\":10000")), 400, "invalid_request")
        .body("detail", containsString("the provider tokenized allows 10,000 tokens per minute"));
    submit(key, request("tokenized-haiku", "\"max_tokens\":9000")).statusCode(202);
  }

  /** Stores an answer to {@code request} for {@code tenant}, as a worker's call would. */
  private String remember(String tenant, String request) throws Exception {
    ObjectNode result =
        (ObjectNode)
            json.readTree(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"42\"},\"finish_reason\":\"stop\"}]}");
    CacheKey entry = CacheKey.of(cache.scope(), UUID.fromString(tenant), json.readTree(request));
    answers.put(entry, new CachedAnswer(result, 5, 0, 0, 1, "limited")).await().atMost(WAIT);
    return entry.entry();
  }

  @Test
  void aNeverFittingRequestIsRefusedEvenWhenItsAnswerIsCached() throws Exception {
    String tenant = tenantWithTokensPerMinute(null);
    String key = TestTenants.key(tenant);
    String fits = request("limited-mini", "\"max_tokens\":100,\"seed\":" + System.nanoTime());
    String never = request("limited-mini", "\"max_tokens\":30000");
    String[] entries = {remember(tenant, fits), remember(tenant, never)};
    try {
      // The fitting one is answered from the cache at submit; the other is refused all the same.
      submit(key, fits).statusCode(202).body("status", equalTo("succeeded"));
      isProblem(submit(key, never), 400, "invalid_request");
    } finally {
      redis.key().del(entries).await().atMost(WAIT);
    }
  }

  @Test
  void anIdempotentReplayOfAJobAcceptedBeforeALimitWasLoweredStillAnswersTheJob() {
    String tenant = tenantWithTokensPerMinute(10_000);
    String key = TestTenants.key(tenant);
    String request = request("llmq-sim", "\"max_tokens\":5000");
    String idempotencyKey = "replay-" + UUID.randomUUID();
    String first =
        submit(key, request, "Idempotency-Key", idempotencyKey)
            .statusCode(202)
            .extract()
            .path("id");
    given()
        .header("Authorization", TestTenants.ADMIN)
        .contentType(ContentType.JSON)
        .body(Map.of("limits", Map.of("tokens_per_minute", 1000)))
        .patch("/v1/admin/tenants/" + tenant)
        .then()
        .statusCode(200);

    submit(key, request, "Idempotency-Key", idempotencyKey)
        .statusCode(200)
        .body("id", equalTo(first));
    isProblem(
        submit(key, request, "Idempotency-Key", "new-" + UUID.randomUUID()),
        400,
        "invalid_request");
  }

  @Test
  void theApiReadsEveryProviderSettingTheWorkerDoes() {
    ProvidersConfig.Provider limited = providers.providers().get("limited");
    assertEquals("openai", limited.kind());
    assertEquals(20_000L, limited.tokensPerMinute().orElseThrow());
    assertEquals(8, limited.maxConcurrentCalls().orElseThrow());
    assertEquals("2023-06-01", limited.anthropicVersion());
    assertEquals(Duration.ofSeconds(60), limited.firstByteTimeout());
    assertTrue(limited.configured());
    // The defaults by kind: OpenAI's limiter counts characters, Anthropic's the tokenizer.
    assertEquals(
        LimiterCounting.Mode.CHARACTERS, providers.providers().get("openai").counting().mode());
    assertEquals(
        LimiterCounting.Mode.TOKENIZER, providers.providers().get("anthropic").counting().mode());
    assertEquals(4.0, providers.providers().get("openai").counting().charactersPerToken());
    assertEquals(3, providers.providers().get("openai").counting().messageOverhead());
  }
}
