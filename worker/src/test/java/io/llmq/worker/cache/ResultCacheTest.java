package io.llmq.worker.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.cache.CacheConfig;
import io.llmq.common.cache.CacheKey;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.cache.CachedAnswers;
import io.llmq.common.job.CacheMode;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.RateLimitSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisAPI;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cache and single flight against the real Redis. Each {@link Replica} is one worker's cache
 * (its own {@link SingleFlight} subscription and metrics) over the shared Redis, so two replicas in
 * this JVM behave as two worker processes. The provider path is a stand-in that counts its calls:
 * the count, not timing, is what each test asserts.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class ResultCacheTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Inject ReactiveRedisDataSource redis;
  @Inject ObjectMapper json;
  @Inject Vertx vertx;

  private final List<SingleFlight> started = new ArrayList<>();

  @AfterEach
  void stopReplicas() {
    started.forEach(SingleFlight::stop);
    started.clear();
  }

  /** One worker's cache and its metrics. */
  private record Replica(ResultCache cache, SimpleMeterRegistry metrics) {
    double count(String name) {
      return metrics.counter(name).count();
    }
  }

  private Replica replica(TestCacheConfig config) {
    return replica(config, redis);
  }

  private Replica replica(TestCacheConfig config, ReactiveRedisDataSource on) {
    SingleFlight flights = new SingleFlight(on, config);
    flights.start();
    started.add(flights);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    return new Replica(
        new ResultCache(config, new CachedAnswers(on, json, config), flights, metrics), metrics);
  }

  /**
   * Stands in for the provider path of the executor: counts calls, answers "answer N" after a delay
   * (the first {@code failures} calls fail instead) and stores the answer as the executor does.
   */
  private final class Upstream {
    final AtomicInteger calls = new AtomicInteger();
    final Duration delay;
    final int failures;

    Upstream(Duration delay, int failures) {
      this.delay = delay;
      this.failures = failures;
    }

    Uni<String> call(ResultCache cache, UUID jobId) {
      int call = calls.incrementAndGet();
      Uni<Void> wait =
          delay.isZero()
              ? Uni.createFrom().voidItem()
              : Uni.createFrom().voidItem().onItem().delayIt().by(delay);
      return wait.chain(() ->
          call <= failures
              ? Uni.createFrom().failure(new IllegalStateException("upstream failed"))
              : cache.remember(jobId, answer(call), "openai").replaceWith("called"));
    }
  }

  private Completion answer(int number) {
    ObjectNode result = json.createObjectNode().put("object", "chat.completion");
    result.putArray("choices").addObject().putObject("message").put("content", "answer " + number);
    return new Completion(result, 10, 2, 0, 5, RateLimitSnapshot.NONE);
  }

  /** One job through {@code replica}: what became of it, as text. */
  private Uni<String> job(
      Replica replica, UUID tenant, CacheMode mode, JsonNode request, Upstream upstream) {
    UUID jobId = UUID.randomUUID();
    Function<CachedAnswer, Uni<String>> hit =
        answer ->
            Uni.createFrom()
                .item(
                    "hit:"
                        + answer.result().at("/choices/0/message/content").asText()
                        + ":"
                        + answer.promptTokens()
                        + "/"
                        + answer.cachedPromptTokens()
                        + "/"
                        + answer.completionTokens());
    return replica
        .cache()
        .serve(
            new ResultCache.Ask(jobId, tenant, mode, request),
            hit,
            delay -> Uni.createFrom().item("requeue:" + delay.toMillis()),
            () -> upstream.call(replica.cache(), jobId))
        .onFailure()
        .recoverWithItem("failed");
  }

  private String run(
      Replica replica, UUID tenant, CacheMode mode, JsonNode request, Upstream upstream) {
    return job(replica, tenant, mode, request, upstream).await().atMost(WAIT);
  }

  private JsonNode request() {
    return json.createObjectNode()
        .put("model", "llmq-sim")
        .set(
            "messages",
            json.createArrayNode()
                .add(
                    json.createObjectNode()
                        .put("role", "user")
                        .put("content", "cache test " + UUID.randomUUID())));
  }

  private static Map<String, Long> tally(List<String> outcomes) {
    return outcomes.stream().collect(Collectors.groupingBy(o -> o, Collectors.counting()));
  }

  @Test
  void aStoredAnswerIsServedWithItsUsageAndNoCall() {
    Replica worker = replica(TestCacheConfig.standard());
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    assertEquals("hit:answer 1:10/2/5", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    assertEquals(1, upstream.calls.get());
    assertEquals(1, worker.count("llmq.cache.hits"));
    assertEquals(1, worker.count("llmq.cache.misses"));
  }

  @Test
  void anEquivalentSpellingOfTheRequestHitsTheSameEntry() {
    Replica worker = replica(TestCacheConfig.standard());
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    ObjectNode spelledOut = ((ObjectNode) request.deepCopy()).put("temperature", 1.0).put("n", 1);
    spelledOut.put("stream", true);
    run(worker, tenant, CacheMode.DEFAULT, request, upstream);
    assertEquals(
        "hit:answer 1:10/2/5", run(worker, tenant, CacheMode.DEFAULT, spelledOut, upstream));
    ObjectNode changed = ((ObjectNode) request.deepCopy()).put("temperature", 0.2);
    assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, changed, upstream));
  }

  @Test
  void entriesExpireAfterTheTtl() {
    TestCacheConfig config = TestCacheConfig.standard().withTtl(Duration.ofSeconds(1));
    Replica worker = replica(config);
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    String key = CacheKey.of(config.scope(), tenant, request).entry();
    assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    long ttl = redis.key().pttl(key).await().atMost(WAIT);
    assertTrue(ttl > 0 && ttl <= 1_000, "the entry expires within the TTL, was " + ttl);
    Awaitility.await().atMost(WAIT).until(() -> !redis.key().exists(key).await().atMost(WAIT));
    assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    assertEquals(2, upstream.calls.get());
  }

  @Test
  void bypassNeitherReadsNorWrites() {
    Replica worker = replica(TestCacheConfig.standard());
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    run(worker, tenant, CacheMode.DEFAULT, request, upstream);
    assertEquals("called", run(worker, tenant, CacheMode.BYPASS, request, upstream));
    // The bypassing call's answer (answer 2) was not stored: the entry still holds answer 1.
    assertEquals("hit:answer 1:10/2/5", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    assertEquals(2, upstream.calls.get());

    JsonNode fresh = request();
    assertEquals("called", run(worker, tenant, CacheMode.BYPASS, fresh, upstream));
    assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, fresh, upstream));
  }

  @Test
  void refreshCallsAndOverwritesTheEntry() {
    Replica worker = replica(TestCacheConfig.standard());
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    run(worker, tenant, CacheMode.DEFAULT, request, upstream);
    assertEquals("called", run(worker, tenant, CacheMode.REFRESH, request, upstream));
    assertEquals("hit:answer 2:10/2/5", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    assertEquals(2, upstream.calls.get());
  }

  @Test
  void oneTenantsEntriesNeverAnswerAnotherUnlessTheScopeIsGlobal() {
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    JsonNode request = request();
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    Replica scoped = replica(TestCacheConfig.standard());
    run(scoped, first, CacheMode.DEFAULT, request, upstream);
    assertEquals("called", run(scoped, second, CacheMode.DEFAULT, request, upstream));
    assertEquals("hit:answer 1:10/2/5", run(scoped, first, CacheMode.DEFAULT, request, upstream));
    assertEquals("hit:answer 2:10/2/5", run(scoped, second, CacheMode.DEFAULT, request, upstream));

    Replica global = replica(TestCacheConfig.standard().withScope(CacheConfig.Scope.GLOBAL));
    JsonNode shared = request();
    assertEquals("called", run(global, first, CacheMode.DEFAULT, shared, upstream));
    assertEquals("hit:answer 3:10/2/5", run(global, second, CacheMode.DEFAULT, shared, upstream));
    assertEquals(3, upstream.calls.get());
  }

  @Test
  void identicalJobsInFlightOnTwoReplicasMakeOneCall() {
    Replica one = replica(TestCacheConfig.standard());
    Replica two = replica(TestCacheConfig.standard());
    Upstream upstream = new Upstream(Duration.ofSeconds(2), 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    List<Uni<String>> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      jobs.add(job(i % 2 == 0 ? one : two, tenant, CacheMode.DEFAULT, request, upstream));
    }
    List<String> outcomes = Uni.join().all(jobs).andFailFast().await().atMost(WAIT);

    assertEquals(1, upstream.calls.get());
    assertEquals(Map.of("called", 1L, "hit:answer 1:10/2/5", 9L), tally(outcomes));
    assertEquals(9, one.count("llmq.cache.hits") + two.count("llmq.cache.hits"));
    assertTrue(one.count("llmq.cache.followers") + two.count("llmq.cache.followers") >= 1);
  }

  @Test
  void whenTheLeadersCallFailsTheFollowersMakeTheirOwnAttempts() {
    Replica one = replica(TestCacheConfig.standard());
    Replica two = replica(TestCacheConfig.standard());
    Upstream upstream = new Upstream(Duration.ofSeconds(1), 1);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    List<Uni<String>> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      jobs.add(job(i % 2 == 0 ? one : two, tenant, CacheMode.DEFAULT, request, upstream));
    }
    List<String> outcomes = Uni.join().all(jobs).andFailFast().await().atMost(WAIT);

    // The first leader failed alone; one follower took over and called; the rest got its answer.
    assertEquals(2, upstream.calls.get());
    assertEquals(Map.of("failed", 1L, "called", 1L, "hit:answer 2:10/2/5", 4L), tally(outcomes));
  }

  @Test
  void aLeaderThatDiedFreesTheKeyWhenItsLockLapses() {
    TestCacheConfig config = TestCacheConfig.standard();
    Replica worker = replica(config);
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    // A replica that took the lock and died: nobody renews or releases it.
    String lock = CacheKey.of(config.scope(), tenant, request).lock();
    redis.value(String.class).psetex(lock, 1_500, "dead-replica").await().atMost(WAIT);

    assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
    assertEquals(1, upstream.calls.get());
  }

  @Test
  void aFollowerHoldsItsMessageNoLongerThanMaxWait() {
    TestCacheConfig config = TestCacheConfig.standard().withMaxWait(Duration.ofMillis(600));
    Replica worker = replica(config);
    Upstream upstream = new Upstream(Duration.ZERO, 0);
    UUID tenant = UUID.randomUUID();
    JsonNode request = request();
    String lock = CacheKey.of(config.scope(), tenant, request).lock();
    redis.value(String.class).psetex(lock, 20_000, "a-long-call").await().atMost(WAIT);
    try {
      assertEquals("requeue:600", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
      assertEquals(0, upstream.calls.get());
    } finally {
      redis.key().del(lock).await().atMost(WAIT);
    }
  }

  @Test
  void withRedisUnreachableJobsRunWithoutTheCache() {
    Redis client = Redis.createClient(vertx, "redis://127.0.0.1:1");
    ReactiveRedisDataSource unreachable =
        new ReactiveRedisDataSourceImpl(vertx, client, RedisAPI.api(client));
    try {
      Replica worker = replica(TestCacheConfig.standard(), unreachable);
      Upstream upstream = new Upstream(Duration.ZERO, 0);
      UUID tenant = UUID.randomUUID();
      JsonNode request = request();
      assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
      assertEquals("called", run(worker, tenant, CacheMode.DEFAULT, request, upstream));
      assertEquals(2, upstream.calls.get());
      assertTrue(worker.count("llmq.cache.unavailable") >= 2);
    } finally {
      stopReplicas();
      client.close();
    }
  }
}
