package io.llmq.simulator.moderation;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModerationsTest {

  private static final String PATH = "/v1/moderations";

  private static Response post(Object body) {
    return given().contentType(ContentType.JSON).body(body).post(PATH);
  }

  @Test
  void plainInputIsNotFlaggedAndHasEveryCategoryInOpenAisShape() {
    post(Map.of("model", "omni-moderation-latest", "input", "What is the capital of France?"))
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .body("id", startsWith("modr-"))
        .body("model", equalTo("omni-moderation-latest"))
        .body("results", hasSize(1))
        .body("results[0].flagged", equalTo(false))
        .body("results[0].categories.size()", equalTo(ModerationJudge.CATEGORIES.size()))
        .body("results[0].categories.violence", equalTo(false))
        .body("results[0].category_scores.violence", lessThan(0.05f))
        .body("results[0].category_applied_input_types.violence[0]", equalTo("text"));
  }

  @Test
  void aMarkerFlagsItsCategoryWithTheScoreItNames() {
    post(Map.of("input", List.of("fine text", "bad text sim-flag:hate=0.73 sim-flag:violence")))
        .then()
        .statusCode(200)
        .body("model", equalTo("omni-moderation-latest"))
        .body("results", hasSize(2))
        .body("results[0].flagged", equalTo(false))
        .body("results[1].flagged", equalTo(true))
        .body("results[1].categories.hate", equalTo(true))
        .body("results[1].category_scores.hate", equalTo(0.73f))
        .body("results[1].categories.violence", equalTo(true))
        .body("results[1].category_scores.violence", equalTo(0.9f))
        .body("results[1].categories.sexual", equalTo(false));
  }

  @Test
  void aScoreBelowOneHalfIsReportedButDoesNotFlag() {
    post(Map.of("input", "borderline sim-flag:harassment=0.4"))
        .then()
        .statusCode(200)
        .body("results[0].flagged", equalTo(false))
        .body("results[0].categories.harassment", equalTo(false))
        .body("results[0].category_scores.harassment", equalTo(0.4f));
  }

  @Test
  void contentPartsAreOneResultAndVerdictsAreDeterministic() {
    Map<String, Object> body =
        Map.of(
            "input",
            List.of(
                Map.of("type", "text", "text", "part one"),
                Map.of("type", "image_url", "image_url", Map.of("url", "https://x.invalid/a.png")),
                Map.of("type", "text", "text", "sim-flag:self-harm/intent")));
    Response first = post(body);
    first
        .then()
        .statusCode(200)
        .body("results", hasSize(1))
        .body("results[0].categories.'self-harm/intent'", equalTo(true));
    assertEquals(
        first.jsonPath().getMap("results[0].category_scores"),
        post(body).jsonPath().getMap("results[0].category_scores"));
  }

  @Test
  void anOutageMarkerFailsTheCallAsAsked() {
    post(Map.of("input", "anything sim-moderation:503"))
        .then()
        .statusCode(503)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("server_error"));
    post(Map.of("input", "anything sim-moderation:500")).then().statusCode(500);
    post(Map.of("input", "anything sim-moderation:429"))
        .then()
        .statusCode(429)
        .header("retry-after", "1");
    String cut =
        post(Map.of("input", "sim-moderation:malformed"))
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertEquals("{\"results\": [", cut);
  }

  @Test
  void aBodyWithoutInputIs400() {
    post(Map.of("model", "omni-moderation-latest"))
        .then()
        .statusCode(400)
        .body("error.type", equalTo("invalid_request_error"));
    given().contentType(ContentType.JSON).body("not json").post(PATH).then().statusCode(400);
    post(Map.of("input", List.of())).then().statusCode(400);
  }
}
