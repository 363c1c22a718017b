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
    return given()
        .header("Authorization", "Bearer " + key)
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt
                + "\"}]}}")
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
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
    String id = submit("take a moment [[sim delay_ms=1500]]");
    given()
        .header("Authorization", "Bearer " + key)
        .get("/v1/jobs/" + id + "?wait_seconds=30")
        .then()
        .statusCode(200)
        .body("status", equalTo("succeeded"));
  }

  @Test
  void aJobWhoseWorkerIsKilledMidCallRunsAgainOnAnotherAndCompletesOnce() throws Exception {
    String id = submit("a long call [[sim delay_ms=4000]]");
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
