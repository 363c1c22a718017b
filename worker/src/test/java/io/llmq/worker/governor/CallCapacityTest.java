package io.llmq.worker.governor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.job.FailureCode;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.LimiterCounting;
import io.llmq.common.provider.PromptCalibration;
import io.llmq.common.request.TokenEstimator;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.provider.ChatProvider;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.ProviderCall;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.Providers;
import io.llmq.worker.provider.TestProviderConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What a call reserves, counted as the provider's limiter counts it, and the prompt calibration
 * that two worker replicas (two {@link CallCapacity} instances, each with its own {@link
 * PromptCalibration}) share through the real Redis.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class CallCapacityTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject CallCapacity capacity;
  @Inject Governor governor;
  @Inject CallSlots slots;
  @Inject WaitingRoom room;
  @Inject GovernorConfig config;
  @Inject MeterRegistry metrics;
  @Inject ReactiveRedisDataSource redis;
  @Inject RedisTimeout timeout;

  /** A route to a provider of {@code kind} known by a name of this test's own. */
  private static Providers.Route route(String kind, String upstreamModel) {
    String name = "calls-" + UUID.randomUUID();
    ChatProvider provider =
        new ChatProvider() {
          @Override
          public String name() {
            return name;
          }

          @Override
          public Uni<Completion> complete(ProviderCall call) {
            throw new UnsupportedOperationException("no call is made here");
          }
        };
    return new Providers.Route(
        provider,
        TestProviderConfig.of(kind, "http://127.0.0.1:9"),
        upstreamModel,
        ModelCatalog.Limits.NONE);
  }

  private static JsonNode request(String text) throws Exception {
    return JSON.readTree(text.replace('\'', '"'));
  }

  private CallCapacity.Admission admit(CallCapacity on, Providers.Route route, JsonNode request) {
    return on.admit(
            new CallCapacity.Caller(UUID.randomUUID(), UUID.randomUUID(), null, 1, 1),
            route,
            request)
        .await()
        .atMost(WAIT);
  }

  private static void answered(
      CallCapacity on, CallCapacity.Admission admission, int promptTokens) {
    Completion completion = new Completion(JsonNodeFactory.instance.objectNode(), promptTokens, 5);
    on.spent(admission, completion).await().atMost(WAIT);
  }

  @Test
  void anOpenAiProviderIsReservedItsLimitersCharacterCountForEveryChoice() throws Exception {
    JsonNode request =
        request(
            "{'model':'gpt-4o-mini','messages':[{'role':'user','content':'Hello world'}],"
                + "'max_tokens':10,'n':2}");

    CallCapacity.Admission admission = admit(capacity, route("openai", "gpt-4o-mini"), request);

    // ceil(11 / 4) + 3 = 6 prompt tokens and 10 output tokens, each twice.
    assertEquals(LimiterCounting.Mode.CHARACTERS, admission.charge().mode());
    assertEquals(32, admission.reservation().tokens());
    assertEquals(20, admission.maxTokens());
    assertEquals(TokenEstimator.promptTokens("gpt-4o-mini", request), admission.promptEstimate());
  }

  @Test
  void aCharacterCountLearnsNoCalibration() throws Exception {
    Providers.Route route = route("openai", "gpt-4o-mini");
    JsonNode request =
        request("{'messages':[{'role':'user','content':'Hello world'}],'max_tokens':10}");

    answered(capacity, admit(capacity, route, request), 500);

    assertNull(
        redis
            .value(String.class)
            .get("llmq:governor:calibration:" + route.provider().name())
            .await()
            .atMost(WAIT));
  }

  @Test
  void twoReplicasShareOneCalibrationThroughRedis() throws Exception {
    CallCapacity other =
        new CallCapacity(
            governor, room, slots, config, metrics, new PromptCalibration(redis, timeout));
    Providers.Route route = route("anthropic", "claude-haiku-4-5");
    String provider = route.provider().name();
    JsonNode request =
        request(
            "{'messages':[{'role':'user','content':'How does a token bucket refill?'}],"
                + "'max_tokens':100}");

    CallCapacity.Admission first = admit(capacity, route, request);
    assertEquals(LimiterCounting.Mode.TOKENIZER, first.charge().mode());
    long estimate = first.promptEstimate();
    assertEquals(estimate + 100, first.reservation().tokens());

    // The provider bills twice what the tokenizer estimated; this replica learns it...
    answered(capacity, first, (int) (2 * estimate));

    // ...and the other one, which never saw a call, counts with it once it has read the ratio.
    PromptCalibration shared = new PromptCalibration(redis, timeout);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> shared.refresh(provider).await().atMost(WAIT) == 2.0);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> admit(other, route, request).reservation().tokens() == 2 * estimate + 100);

    // What the other one learns next moves the one ratio both use: 2 × 0.9 + 1 × 0.1.
    CallCapacity.Admission second = admit(other, route, request);
    answered(other, second, (int) estimate);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> Math.abs(shared.refresh(provider).await().atMost(WAIT) - 1.9) < 1e-6);
  }

  @Test
  void aFailureBeforeAnyOutputGivesTheTenantItsTokensBack() throws Exception {
    Providers.Route route = route("simulated", "llmq-sim");
    JsonNode request =
        request("{'messages':[{'role':'user','content':'Hello world'}],'max_tokens':500}");
    CallCapacity.Caller tenant =
        new CallCapacity.Caller(UUID.randomUUID(), UUID.randomUUID(), 600L, 1, 1);
    CallCapacity.Admission first = capacity.admit(tenant, route, request).await().atMost(WAIT);
    assertEquals(Duration.ZERO, first.delay());

    capacity
        .failed(first, new ProviderException(FailureCode.UPSTREAM_ERROR, "boom"), 0)
        .await()
        .atMost(WAIT);

    // The tenant's 600 a minute hold the next one at once: the failed call cost it nothing.
    CallCapacity.Admission next = capacity.admit(tenant, route, request).await().atMost(WAIT);
    assertEquals(Duration.ZERO, next.delay());
    // A failure after output keeps what was used: now the bucket is short.
    capacity
        .failed(next, new ProviderException(FailureCode.UPSTREAM_ERROR, "cut"), 400)
        .await()
        .atMost(WAIT);
    assertTrue(capacity.admit(tenant, route, request).await().atMost(WAIT).delay().toSeconds() > 5);
  }

  @Test
  void theSharedRatioIsAMovingAverageClampedAndKeptForAWeek() {
    PromptCalibration one = new PromptCalibration(redis, timeout);
    PromptCalibration two = new PromptCalibration(redis, timeout);
    String provider = "calibration-" + UUID.randomUUID();

    assertEquals(1.0, one.ratio(provider));
    assertEquals(4.0, one.learn(provider, 100, 1_000).await().atMost(WAIT));
    assertEquals(4.0 * 0.9 + 0.5 * 0.1, two.learn(provider, 100, 10).await().atMost(WAIT), 1e-6);
    assertEquals(4.0 * 0.9 + 0.5 * 0.1, one.refresh(provider).await().atMost(WAIT), 1e-6);
    assertEquals(4.0 * 0.9 + 0.5 * 0.1, one.ratio(provider), 1e-6);
    long ttl =
        redis.key(String.class).ttl("llmq:governor:calibration:" + provider).await().atMost(WAIT);
    assertEquals(Duration.ofDays(7).toSeconds(), ttl, 5);
  }
}
