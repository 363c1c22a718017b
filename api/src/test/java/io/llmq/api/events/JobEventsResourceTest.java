package io.llmq.api.events;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.api.SseClient;
import io.llmq.api.TestTenants;
import io.llmq.api.WorkerStandIn;
import io.llmq.common.events.Announcer;
import io.llmq.common.events.EventLog;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/jobs/{id}/events} against real PostgreSQL and Redis; the worker's part is played
 * by {@link WorkerStandIn} with the worker's own event classes.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class JobEventsResourceTest {

  private final ObjectMapper json = new ObjectMapper();

  @Inject EventLog log;
  @Inject Announcer announcer;
  @Inject ReactiveRedisDataSource redis;

  private WorkerStandIn worker;
  private String key;

  @BeforeEach
  void setUp() {
    worker = new WorkerStandIn(log, announcer);
    key = TestTenants.freshKey();
  }

  private UUID submit(String body) {
    String id =
        given()
            .header("Authorization", bearer(key))
            .contentType(ContentType.JSON)
            .body(body)
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    UUID job = UUID.fromString(id);
    worker.awaitSubmitted(job);
    return job;
  }

  private UUID submit() {
    return submit(TestTenants.job("tell me"));
  }

  /** A job run to its end: queued, running, three deltas, done (ids 1 to 6). */
  private UUID finishedJob() {
    UUID job = submit();
    int version = worker.start(job, key);
    worker.stream(job, version, "Hello", " wor", "ld");
    assertEquals(6, worker.succeed(job, "Hello world", 3));
    return job;
  }

  private String content(List<SseClient.Event> events) throws Exception {
    StringBuilder content = new StringBuilder();
    for (SseClient.Event event : events) {
      if (event.type().equals("delta")) {
        content.append(json.readTree(event.data()).path("content").asText());
      }
    }
    return content.toString();
  }

  private static List<Long> ids(List<SseClient.Event> events) {
    return events.stream().map(SseClient.Event::number).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> ids = new ArrayList<>();
    for (long id = from; id <= to; id++) {
      ids.add(id);
    }
    return ids;
  }

  @Test
  void aFinishedJobIsReplayedInFullAndTheStreamCloses() throws Exception {
    UUID job = finishedJob();
    try (SseClient stream = SseClient.open(job.toString(), key)) {
      assertEquals(200, stream.status());
      assertTrue(stream.header("Content-Type").startsWith("text/event-stream"));
      assertTrue(stream.header("X-Request-Id") != null);
      List<SseClient.Event> events = stream.awaitEnd();

      assertEquals(range(1, 6), ids(events));
      assertEquals(
          List.of("status", "status", "delta", "delta", "delta", "done"),
          events.stream().map(SseClient.Event::type).toList());
      assertEquals("queued", json.readTree(events.get(0).data()).path("status").asText());
      assertEquals("running", json.readTree(events.get(1).data()).path("status").asText());
      assertEquals(3, json.readTree(events.get(4).data()).path("completion_tokens").asInt());

      // The deltas add up to the answer, and done is the job exactly as GET shows it.
      JsonNode done = json.readTree(events.getLast().data());
      JsonNode got =
          json.readTree(
              given()
                  .header("Authorization", bearer(key))
                  .get("/v1/jobs/" + job)
                  .then()
                  .extract()
                  .asString());
      assertEquals(got, done);
      assertEquals(
          "Hello world",
          done.path("result").path("choices").path(0).path("message").path("content").asText());
      assertEquals("Hello world", content(events));
    }
  }

  @Test
  void resumingAtAnyPointGetsEveryLaterEventExactlyOnce() {
    UUID job = finishedJob();
    for (long last = 0; last <= 6; last++) {
      try (SseClient stream = SseClient.open(job.toString(), key, Long.toString(last))) {
        assertEquals(200, stream.status());
        assertEquals(range(last + 1, 6), ids(stream.awaitEnd()), "after " + last);
      }
    }
  }

  @Test
  void aLiveStreamGetsEachEventAsItHappensAndClosesAfterDone() throws Exception {
    UUID job = submit();
    try (SseClient stream = SseClient.open(job.toString(), key)) {
      stream.awaitEvents(1);
      int version = worker.start(job, key);
      stream.awaitEvents(2);
      worker.stream(job, version, "one", " two");
      stream.awaitEvents(4);
      assertTrue(!stream.ended());
      worker.succeed(job, "one two", 2);
      List<SseClient.Event> events = stream.awaitEnd();
      assertEquals(range(1, 5), ids(events));
      assertEquals("done", events.getLast().type());
      assertEquals("one two", content(events));
    }
  }

  @Test
  void aClientThatReconnectsWithItsLastEventIdMissesNothingAndGetsNothingTwice() throws Exception {
    UUID job = submit();
    int version = worker.start(job, key);
    worker.stream(job, version, "a", "b");
    List<SseClient.Event> seen = new ArrayList<>();
    try (SseClient first = SseClient.open(job.toString(), key)) {
      seen.addAll(first.awaitEvents(4));
    }
    // While the client is away the job goes on.
    worker.stream(job, version, "c", "d");
    try (SseClient second = SseClient.open(job.toString(), key, seen.getLast().id())) {
      second.awaitEvents(2);
      worker.stream(job, version, "e");
      worker.succeed(job, "abcde", 5);
      seen.addAll(second.awaitEnd());
    }
    assertEquals(range(1, 8), ids(seen));
    assertEquals("abcde", content(seen));
  }

  @Test
  void aJobOfAnotherTenantIsNotFoundAndTheStreamNeedsAReadKey() {
    UUID job = submit();
    try (SseClient stranger = SseClient.open(job.toString(), TestTenants.freshKey())) {
      assertEquals(404, stranger.status());
      assertTrue(stranger.header("Content-Type").startsWith("application/problem+json"));
      assertTrue(stranger.body().contains("\"code\":\"not_found\""));
    }
    try (SseClient anonymous = SseClient.open(job.toString(), null)) {
      assertEquals(401, anonymous.status());
    }
    String tenant = TestTenants.tenant("write-only");
    try (SseClient writeOnly =
        SseClient.open(job.toString(), TestTenants.key(tenant, "jobs:write"))) {
      assertEquals(403, writeOnly.status());
    }
    try (SseClient nothing = SseClient.open(UUID.randomUUID().toString(), key)) {
      assertEquals(404, nothing.status());
    }
  }

  @Test
  void aLastEventIdThatIsNoEventIdIsABadRequest() {
    UUID job = submit();
    try (SseClient stream = SseClient.open(job.toString(), key, "yesterday")) {
      assertEquals(400, stream.status());
      assertTrue(stream.body().contains("\"code\":\"invalid_request\""));
    }
  }

  @Test
  void aFinishedJobWhoseStreamExpiredIsReplayedFromTheJobWithTheSameIds() throws Exception {
    UUID job = finishedJob();
    redis.execute("DEL", EventLog.key(job), EventLog.key(job) + ":m").await().indefinitely();

    try (SseClient fresh = SseClient.open(job.toString(), key)) {
      List<SseClient.Event> events = fresh.awaitEnd();
      assertEquals(List.of(5L, 6L), ids(events));
      assertEquals("delta", events.getFirst().type());
      assertEquals("Hello world", content(events));
      assertEquals("succeeded", json.readTree(events.getLast().data()).path("status").asText());
    }
    try (SseClient resumed = SseClient.open(job.toString(), key, "3")) {
      assertEquals(List.of(6L), ids(resumed.awaitEnd()));
    }
  }

  @Test
  void aFailureInsideTheStreamEndsItWithAFinalEvent() throws Exception {
    UUID job = submit();
    // Redis answers the stream's read with an error (the key holds the wrong type).
    redis.execute("DEL", EventLog.key(job)).await().indefinitely();
    redis.execute("SET", EventLog.key(job), "not a stream").await().indefinitely();
    try (SseClient stream = SseClient.open(job.toString(), key)) {
      assertEquals(200, stream.status());
      List<SseClient.Event> events = stream.awaitEnd();
      assertEquals(1, events.size());
      assertEquals("error", events.getFirst().type());
      assertEquals(
          "service_unavailable", json.readTree(events.getFirst().data()).path("code").asText());
    } finally {
      redis.execute("DEL", EventLog.key(job)).await().indefinitely();
    }
  }

  @Test
  void aClientThatGoesAwayReleasesItsStream() {
    UUID job = submit();
    SseClient stream = SseClient.open(job.toString(), key);
    stream.awaitEvents(1);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> openStreams() >= 1);
    stream.close();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> openStreams() == 0);
  }

  @Test
  void aQuietStreamSendsKeepAliveComments() {
    UUID job = submit();
    try (SseClient stream = SseClient.open(job.toString(), key)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> stream.comments().contains(": keep-alive"));
      assertEquals(1, stream.events().size());
    }
  }

  @Test
  void cancellingAQueuedJobEndsItsStreamWithDone() throws Exception {
    UUID job = submit();
    try (SseClient stream = SseClient.open(job.toString(), key)) {
      stream.awaitEvents(1);
      given()
          .header("Authorization", bearer(key))
          .post("/v1/jobs/" + job + "/cancel")
          .then()
          .statusCode(200);
      List<SseClient.Event> events = stream.awaitEnd();
      assertEquals(range(1, 2), ids(events));
      assertEquals("done", events.getLast().type());
      assertEquals("cancelled", json.readTree(events.getLast().data()).path("status").asText());
    }
  }

  private static double openStreams() {
    String metrics = given().get("/q/metrics").then().extract().asString();
    var matcher =
        java.util.regex.Pattern.compile("(?m)^llmq_sse_streams(\\{[^}]*})? (\\S+)")
            .matcher(metrics);
    return matcher.find() ? Double.parseDouble(matcher.group(2)) : -1;
  }
}
