package io.llmq.simulator.stats;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;

import io.llmq.simulator.TestSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class StatsTest {

  /** 4 + ceil(8 / 4) = 6 prompt tokens, answer cut at 5 tokens. */
  private static final String CALL =
      "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"Count me\"}]";

  @BeforeEach
  void startOver() {
    TestSettings.fast();
    given().post("/stats/reset").then().statusCode(200);
  }

  @AfterEach
  void restoreLimits() {
    TestSettings.fast();
  }

  @Test
  void statsCountCallsStatusesFaultsAndTokens() {
    TestSettings.put(Map.of("requests_per_minute", 3));
    call(CALL + "}", "stats-a", null).then().statusCode(200);
    call(CALL + ",\"stream\":true}", "stats-a", null).then().statusCode(200);
    call(CALL + "}", "stats-a", "503").then().statusCode(503);
    call("not json", "stats-a", null).then().statusCode(400);
    call(CALL + "}", "stats-a", null).then().statusCode(200);
    call(CALL + "}", "stats-a", null).then().statusCode(429);

    await()
        .atMost(Duration.ofSeconds(2))
        .untilAsserted(() ->
            given()
                .get("/stats")
                .then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("requests", equalTo(6))
                .body("by_status.200", equalTo(3))
                .body("by_status.503", equalTo(1))
                .body("by_status.400", equalTo(1))
                .body("by_status.429", equalTo(1))
                .body("rate_limited", equalTo(1))
                .body("faults_injected", equalTo(1))
                .body("prompt_tokens", equalTo(3 * 6))
                .body("completion_tokens", equalTo(3 * 5))
                .body("tokens_charged", equalTo(3 * (6 + 5)))
                .body("started_at", notNullValue())
                .body("per_minute.requests", greaterThan(0f))
                .body("per_minute.completion_tokens", greaterThan(0f)));
  }

  @Test
  void resetZeroesTheCounters() {
    call(CALL + "}", "stats-b", null).then().statusCode(200);

    given()
        .post("/stats/reset")
        .then()
        .statusCode(200)
        .body("requests", equalTo(0))
        .body("by_status.size()", equalTo(0))
        .body("completion_tokens", equalTo(0))
        .body("tokens_charged", equalTo(0));
    given().get("/stats").then().body("requests", equalTo(0));
  }

  private static io.restassured.response.Response call(String body, String key, String fault) {
    var request = given().header("Authorization", "Bearer " + key).body(body);
    if (fault != null) {
      request.header("x-sim-fault", fault);
    }
    return request.contentType(ContentType.JSON).post("/v1/chat/completions");
  }
}
