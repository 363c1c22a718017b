package io.llmq.api.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The console's files are public, served with a strict policy; the API's answers are not changed.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class ConsoleHeadersTest {

  @Test
  void consoleWithoutSlashRedirectsToTheIndexPage() {
    given()
        .redirects()
        .follow(false)
        .get("/console")
        .then()
        .statusCode(301)
        .header("Location", "/console/");
  }

  @Test
  void indexPageIsPublicWithAStrictPolicy() {
    given()
        .get("/console/")
        .then()
        .statusCode(200)
        .contentType(containsString("text/html"))
        .header("Content-Security-Policy", equalTo(ConsoleHeaders.POLICY))
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer")
        .body(containsString("<script type=\"module\" src=\"app.js\">"));
  }

  @Test
  void scriptsAndStylesAreServedWithTheirTypes() {
    given()
        .get("/console/app.js")
        .then()
        .statusCode(200)
        .contentType(containsString("javascript"))
        .header("Content-Security-Policy", equalTo(ConsoleHeaders.POLICY));
    given()
        .get("/console/console.css")
        .then()
        .statusCode(200)
        .contentType(containsString("text/css"))
        .header("X-Content-Type-Options", "nosniff");
  }

  @Test
  void policyIsLimitedToTheConsole() {
    given().get("/v1/jobs").then().statusCode(401).header("Content-Security-Policy", nullValue());
  }

  @Test
  void aMissingConsoleFileIsNotFound() {
    given().get("/console/nothing.js").then().statusCode(404);
  }
}
