package io.llmq.api.job;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.SseClient;
import io.llmq.api.TestTenants;
import io.llmq.api.context.ContextPolicy;
import io.llmq.common.cache.CacheConfig;
import io.llmq.common.cache.CacheKey;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.cache.CachedAnswers;
import io.llmq.common.job.Priority;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.testing.LlmqTestResource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisAPI;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A cache hit answered at submit, against the real PostgreSQL and Redis. The answer is stored as
 * the worker stores it ({@link CachedAnswers} under the request's {@link CacheKey}); no worker
 * runs, so a job the api does not answer stays queued.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class CacheHitAtSubmitTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String PUBLIC_HOOK = "https://93.184.216.34/hook";

  @Inject CachedAnswers answers;
  @Inject CacheConfig config;
  @Inject ModelCatalog models;
  @Inject ReactiveRedisDataSource redis;
  @Inject ObjectMapper json;
  @Inject Pool pool;
  @Inject Vertx vertx;

  private final List<String> stored = new ArrayList<>();

  @AfterEach
  void forgetAnswers() {
    if (!stored.isEmpty()) {
      redis.key().del(stored.toArray(String[]::new)).await().atMost(WAIT);
      stored.clear();
    }
  }

  /** A tenant: its id and a key with every scope. */
  private record Tenant(String id, String key) {
    static Tenant fresh() {
      String id = TestTenants.tenant("cache-" + System.nanoTime());
      return new Tenant(id, TestTenants.key(id));
    }
  }

  private static String request(String prompt) {
    return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}";
  }

  private static String body(String request, String extra) {
    return "{\"request\":" + request + (extra.isEmpty() ? "" : "," + extra) + "}";
  }

  private static ExtractableResponse<Response> submit(Tenant tenant, String body) {
    return given()
        .header("Authorization", bearer(tenant.key()))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .extract();
  }

  /** Stores an answer to {@code request} for {@code tenant}, as a worker's call would. */
  private CachedAnswer remember(Tenant tenant, String request) throws Exception {
    ObjectNode result =
        (ObjectNode)
            json.readTree(
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"42\"},"
                    + "\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":1200,\"completion_tokens\":300,\"total_tokens\":1500}}");
    CachedAnswer answer = new CachedAnswer(result, 1200, 200, 0, 300, "openai");
    CacheKey key =
        CacheKey.of(config.scope(), UUID.fromString(tenant.id()), json.readTree(request));
    answers.put(key, answer).await().atMost(WAIT);
    stored.add(key.entry());
    return answer;
  }

  private long count(String sql, String jobId) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(UUID.fromString(jobId)))
        .await()
        .atMost(WAIT)
        .iterator()
        .next()
        .getLong(0);
  }

  private long outboxRows(String jobId) {
    return count("SELECT count(*) FROM job_outbox WHERE job_id = $1", jobId);
  }

  @Test
  void aSecondIdenticalSubmitIsAnsweredSucceededInThe202WithoutAMessage() throws Exception {
    Tenant tenant = Tenant.fresh();
    String request = request("cached " + UUID.randomUUID());
    var first = submit(tenant, body(request, ""));
    assertEquals(202, first.statusCode());
    assertEquals("queued", first.path("status"));
    CachedAnswer answer = remember(tenant, request);

    var second = submit(tenant, body(request, "\"metadata\":{\"n\":\"2\"}"));

    assertEquals(202, second.statusCode());
    String id = second.path("id");
    assertTrue(second.header("Location").endsWith("/v1/jobs/" + id));
    assertEquals("succeeded", second.path("status"));
    assertEquals(true, second.path("cached"));
    assertEquals(0, new BigDecimal(second.path("cost_usd").toString()).signum());
    assertEquals(1, (int) second.path("attempts"));
    assertEquals("42", second.path("result.choices[0].message.content"));
    assertEquals(1200, (int) second.path("usage.prompt_tokens"));
    assertEquals(300, (int) second.path("usage.completion_tokens"));
    assertEquals(1500, (int) second.path("usage.total_tokens"));
    assertEquals("2", second.path("metadata.n"));
    String created = second.path("created_at");
    assertEquals(created, second.path("started_at"));
    assertEquals(created, second.path("completed_at"));
    assertEquals(0, outboxRows(id));

    BigDecimal saved =
        pool.preparedQuery("SELECT cost_saved_usd FROM jobs WHERE id = $1")
            .execute(Tuple.of(UUID.fromString(id)))
            .await()
            .atMost(WAIT)
            .iterator()
            .next()
            .getBigDecimal(0);
    BigDecimal expected = models.costOf("gpt-4o-mini", 1200, 200, 0, 300);
    assertTrue(expected.signum() > 0);
    assertEquals(0, expected.compareTo(saved));

    given()
        .header("Authorization", bearer(tenant.key()))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("status", org.hamcrest.Matchers.equalTo("succeeded"))
        .body("cached", org.hamcrest.Matchers.equalTo(true));
  }

  /** A job answered at submit is born succeeded by its own insert: it keeps its priority too. */
  @Test
  void aJobAnsweredAtSubmitKeepsItsPriority() throws Exception {
    Tenant tenant = Tenant.fresh();
    String request = request("prioritised " + UUID.randomUUID());
    remember(tenant, request);

    var answered = submit(tenant, body(request, "\"priority\":\"low\""));
    assertEquals(202, answered.statusCode());
    assertEquals("succeeded", answered.path("status"));
    assertEquals("low", answered.path("priority"));
    String id = answered.path("id");
    assertEquals(
        Priority.LOW.rank(),
        count("SELECT priority FROM jobs WHERE id = $1", id),
        "the stored rank");
    given()
        .header("Authorization", bearer(tenant.key()))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("priority", org.hamcrest.Matchers.equalTo("low"));
    assertEquals("normal", submit(tenant, body(request, "")).path("priority"));
  }

  @Test
  void bypassAndRefreshAreNotAnsweredAtSubmit() throws Exception {
    Tenant tenant = Tenant.fresh();
    String request = request("modes " + UUID.randomUUID());
    remember(tenant, request);

    for (String mode : List.of("bypass", "refresh")) {
      var submitted = submit(tenant, body(request, "\"cache\":\"" + mode + "\""));
      assertEquals(202, submitted.statusCode(), mode);
      assertEquals("queued", submitted.path("status"), mode);
      assertEquals(false, submitted.path("cached"), mode);
    }
    assertEquals("succeeded", submit(tenant, body(request, "")).path("status"));
  }

  @Test
  void anotherTenantIsNotAnsweredFromATenantsCache() throws Exception {
    Tenant owner = Tenant.fresh();
    Tenant stranger = Tenant.fresh();
    String request = request("mine " + UUID.randomUUID());
    remember(owner, request);

    var submitted = submit(stranger, body(request, ""));

    assertEquals(202, submitted.statusCode());
    assertEquals("queued", submitted.path("status"));
    assertEquals(false, submitted.path("cached"));
  }

  @Test
  void anIdempotentReplayOfAnAnsweredSubmitReturnsTheSameJob() throws Exception {
    Tenant tenant = Tenant.fresh();
    String request = request("replay " + UUID.randomUUID());
    remember(tenant, request);
    String body = body(request, "");

    String key = "hit-" + UUID.randomUUID();
    var answered = submitWithKey(tenant, key, body);
    var replayed = submitWithKey(tenant, key, body);

    assertEquals(202, answered.statusCode());
    assertEquals("succeeded", answered.path("status"));
    assertEquals(200, replayed.statusCode());
    assertEquals((String) answered.path("id"), replayed.path("id"));
    assertEquals("succeeded", replayed.path("status"));
    assertEquals(
        1,
        count(
            "SELECT count(*) FROM jobs WHERE tenant_id = (SELECT tenant_id FROM jobs WHERE id = $1)"
                + " AND cached",
            answered.path("id")));
  }

  private static ExtractableResponse<Response> submitWithKey(
      Tenant tenant, String key, String body) {
    return given()
        .header("Authorization", bearer(tenant.key()))
        .header("Idempotency-Key", key)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .extract();
  }

  @Test
  void theStreamOfAnAnsweredJobReplaysDone() throws Exception {
    Tenant tenant = Tenant.fresh();
    String request = request("stream " + UUID.randomUUID());
    remember(tenant, request);
    String id = submit(tenant, body(request, "")).path("id");

    try (SseClient stream = SseClient.open(id, tenant.key())) {
      List<SseClient.Event> events = stream.awaitEnd();
      SseClient.Event done = events.getLast();
      assertEquals("done", done.type());
      JsonNode job = json.readTree(done.data());
      assertEquals("succeeded", job.path("status").asText());
      assertTrue(job.path("cached").asBoolean());
      assertEquals(
          "42",
          job.path("result").path("choices").path(0).path("message").path("content").asText());
    }
  }

  @Test
  void anAnsweredJobWithAWebhookUrlGetsItsDelivery() throws Exception {
    Tenant tenant = Tenant.fresh();
    String request = request("hook " + UUID.randomUUID());
    remember(tenant, request);

    var submitted = submit(tenant, body(request, "\"webhook_url\":\"" + PUBLIC_HOOK + "\""));

    assertEquals("succeeded", submitted.path("status"));
    assertEquals(
        1,
        count("SELECT count(*) FROM webhook_deliveries WHERE job_id = $1", submitted.path("id")));
  }

  @Test
  void withRedisUnreachableTheLookupIsAMissAndCounted() throws Exception {
    Redis client = Redis.createClient(vertx, "redis://127.0.0.1:1");
    ReactiveRedisDataSource unreachable =
        new ReactiveRedisDataSourceImpl(vertx, client, RedisAPI.api(client));
    try {
      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      SubmitCache cache =
          new SubmitCache(config, new CachedAnswers(unreachable, json, config), metrics);
      Tenant tenant = Tenant.fresh();
      String request = request("down " + UUID.randomUUID());
      remember(tenant, request);
      NewJob job =
          new NewJob(
              UUID.randomUUID(),
              UUID.fromString(tenant.id()),
              null,
              "gpt-4o-mini",
              request,
              "default",
              "{}",
              null,
              null,
              3,
              Priority.DEFAULT,
              null,
              "hash",
              json.readTree(request),
              ContextPolicy.DEFAULT,
              0,
              null);

      assertTrue(cache.lookup(job).await().atMost(WAIT).isEmpty());
      assertEquals(1.0, metrics.counter("llmq.cache.unavailable").count());
    } finally {
      client.close();
    }
  }
}
