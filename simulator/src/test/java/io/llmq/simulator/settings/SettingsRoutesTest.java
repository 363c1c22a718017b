package io.llmq.simulator.settings;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.llmq.simulator.TestSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SettingsRoutesTest {

  @BeforeEach
  @AfterEach
  void fastSettings() {
    TestSettings.fast();
  }

  @Test
  void getShowsEverySettingWithSnakeCaseKeys() {
    given()
        .get("/admin/config")
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .body("tokens_per_minute", equalTo(2_000_000))
        .body("requests_per_minute", equalTo(10_000))
        .body("time_to_first_token", equalTo("0ms"))
        .body("tokens_per_second", equalTo(100_000))
        .body("error_rate", equalTo(0f))
        .body("reset_rate", equalTo(0f))
        .body("hang_rate", equalTo(0f))
        .body("malformed_rate", equalTo(0f))
        .body("refund_unused", equalTo(false))
        .body("limiter_count", equalTo("tokenizer"));
  }

  @Test
  void theLimiterCountIsTokenizerOrCharacters() {
    put("{\"limiter_count\":\"characters\"}")
        .then()
        .statusCode(200)
        .body("limiter_count", equalTo("characters"));
    put("{\"limiter_count\":\"bytes\"}")
        .then()
        .statusCode(400)
        .body("error", equalTo("limiter_count must be tokenizer or characters"));
    put("{\"limiter_count\":4}").then().statusCode(400);

    given().get("/admin/config").then().body("limiter_count", equalTo("characters"));
  }

  @Test
  void putChangesOnlyTheSettingsItNames() {
    put("{\"time_to_first_token\":\"1.5s\",\"error_rate\":0.25}")
        .then()
        .statusCode(200)
        .body("time_to_first_token", equalTo("1500ms"))
        .body("error_rate", equalTo(0.25f))
        .body("tokens_per_minute", equalTo(2_000_000));

    put("{\"time_to_first_token\":250}").then().body("time_to_first_token", equalTo("250ms"));
    put("{\"time_to_first_token\":\"PT2S\"}").then().body("time_to_first_token", equalTo("2000ms"));
  }

  @Test
  void invalidSettingsAreA400AndChangeNothing() {
    put("{\"error_rate\":1.5}")
        .then()
        .statusCode(400)
        .body("error", equalTo("fault rates must lie between 0 and 1"));
    put("{\"error_rate\":0.6,\"hang_rate\":0.6}").then().statusCode(400);
    put("{\"tokens_per_minute\":0}").then().statusCode(400);
    put("{\"tokens_per_second\":\"fast\"}").then().statusCode(400);
    put("{\"time_to_first_token\":\"soon\"}").then().statusCode(400);
    put("{\"colour\":\"blue\"}")
        .then()
        .statusCode(400)
        .body("error", equalTo("unknown setting 'colour'"));
    put("[]").then().statusCode(400);
    put("nope").then().statusCode(400);
    put("{\"outage\":\"yes\"}")
        .then()
        .statusCode(400)
        .body("error", equalTo("outage must be true or false"));

    given().get("/admin/config").then().body("error_rate", equalTo(0f));
  }

  private static io.restassured.response.Response put(String body) {
    return given().contentType(ContentType.JSON).body(body).put("/admin/config");
  }
}
