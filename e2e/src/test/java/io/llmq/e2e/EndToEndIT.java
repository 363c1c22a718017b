package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole system as a user runs it: the packaged api and worker as processes, real PostgreSQL,
 * RabbitMQ and Redis, jobs submitted over HTTP.
 */
class EndToEndIT {

  private static LlmqProcesses system;
  private static String key;

  @BeforeAll
  static void start() {
    system = new LlmqProcesses();
    system.start();
    RestAssured.port = system.apiPort();
    String tenant =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "e2e"))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    key =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "e2e"))
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  private static String submit(String prompt) {
    return submit("gpt-4o-mini", prompt, "");
  }

  /** Submits a job; {@code extra} is more of the submission body, starting with a comma. */
  private static String submit(String model, String prompt, String extra) {
    return given()
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\""
                + model
                + "\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt
                + "\"}]}"
                + extra
                + "}")
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  private static io.restassured.response.ExtractableResponse<io.restassured.response.Response> job(
      String id) {
    return given().header("Authorization", "Bearer " + key).get("/v1/jobs/" + id).then().extract();
  }

  private static void simulator(String settings) {
    system.simulator(settings);
  }

  private static long simulatorStat(String name) {
    return system.simulatorStat(name);
  }

  private static String status(String id) {
    return given()
        .header("Authorization", "Bearer " + key)
        .get("/v1/jobs/" + id)
        .then()
        .extract()
        .path("status");
  }

  @Test
  void aSubmittedJobRunsThroughTheBrokerToSucceeded() {
    String id = submit("Write a haiku about queues.");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(status(id)));
    given()
        .header("Authorization", "Bearer " + key)
        .get("/v1/jobs/" + id)
        .then()
        .body("attempts", equalTo(1))
        .body("result.object", equalTo("chat.completion"))
        .body("result.choices[0].message.content", not(emptyOrNullString()))
        .body("usage.total_tokens", greaterThan(0))
        .body("cost_usd", greaterThan(0f));
  }

  @Test
  void anOpenAiModelGoesThroughTheOpenAiAdapterStreamingWithItsUsageAndCost() {
    String id = submit("gpt-4o-mini", "Explain queues.", "");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(status(id)));
    var done = job(id);
    assertEquals("chat.completion", done.path("result.object"));
    String content = done.path("result.choices[0].message.content");
    int completion = done.path("usage.completion_tokens");
    int prompt = done.path("usage.prompt_tokens");
    // The simulator answers one word per token.
    assertEquals(completion, content.split(" ").length);
    // gpt-4o-mini: $0.15 per million prompt tokens, $0.60 per million completion tokens.
    double expected = (prompt * 0.15 + completion * 0.60) / 1_000_000;
    assertEquals(expected, done.<Number>path("cost_usd").doubleValue(), 1e-12);
  }

  @Test
  void anAnthropicModelIsTranslatedToTheMessagesApiAndBack() {
    String id = submit("claude-haiku-4-5", "Explain queues in Anthropic's words.", "");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(status(id)));
    var done = job(id);
    assertEquals("chat.completion", done.path("result.object"));
    org.hamcrest.MatcherAssert.assertThat(
        done.path("result.id"), org.hamcrest.Matchers.startsWith("msg_"));
    assertEquals("stop", done.path("result.choices[0].finish_reason"));
    org.hamcrest.MatcherAssert.assertThat(
        done.<Integer>path("usage.completion_tokens"), greaterThan(0));
  }

  @Test
  void aBurstBeyondTheProvidersLimitIsPacedAndEveryJobStillSucceeds() {
    long limitedBefore = simulatorStat("rate_limited");
    long requestsBefore = simulatorStat("requests");
    // 3,000 tokens per minute: about 14 calls of ~210 tokens fit at once, the rest must wait,
    // either for the governor (which learns the limit from the headers) or after a 429.
    simulator("{\"tokens_per_minute\":3000}");
    try {
      java.util.List<String> ids = new java.util.ArrayList<>();
      for (int i = 0; i < 18; i++) {
        ids.add(submit("gpt-4o-mini", "burst " + i, ""));
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> ids.stream().allMatch(id -> "succeeded".equals(status(id))));
      long limited = simulatorStat("rate_limited") - limitedBefore;
      long calls = simulatorStat("requests") - requestsBefore;
      org.hamcrest.MatcherAssert.assertThat(
          "429s among " + calls + " calls", limited, org.hamcrest.Matchers.lessThan(18L));
    } finally {
      simulator("{\"tokens_per_minute\":2000000}");
    }
  }

  @Test
  void aProviderThatKeepsFailingFailsTheJobWithUpstreamError() {
    simulator("{\"error_rate\":1.0}");
    try {
      String id = submit("gpt-4o-mini", "doomed", ",\"max_attempts\":2");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(status(id)));
      assertEquals("upstream_error", job(id).path("error.code"));
      assertEquals(2, (int) job(id).path("attempts"));
    } finally {
      simulator("{\"error_rate\":0}");
    }
  }

  @Test
  void preferWaitAnswersAShortJobInTheSameCall() {
    given()
        .header("Authorization", "Bearer " + key)
        .header("Prefer", "wait=20")
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\"llmq-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"quick\"}]}}")
        .post("/v1/jobs")
        .then()
        .statusCode(200)
        .header("Preference-Applied", "wait=20")
        .body("status", equalTo("succeeded"));
  }

  @Test
  void waitSecondsLongPollsUntilTheJobEnds() {
    String id = submit("llmq-sim", "take a moment [[sim delay_ms=1500]]", "");
    given()
        .header("Authorization", "Bearer " + key)
        .get("/v1/jobs/" + id + "?wait_seconds=30")
        .then()
        .statusCode(200)
        .body("status", equalTo("succeeded"));
  }

  @Test
  void aJobWhoseWorkerIsKilledMidCallRunsAgainOnAnotherAndCompletesOnce() throws Exception {
    String id = submit("llmq-sim", "a long call [[sim delay_ms=4000]]", "");
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> "running".equals(status(id)));
    system.killWorker();
    system.startWorker();
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> "succeeded".equals(status(id)));
    int attempts =
        given()
            .header("Authorization", "Bearer " + key)
            .get("/v1/jobs/" + id)
            .then()
            .extract()
            .path("attempts");
    assertEquals(2, attempts);
  }
}
