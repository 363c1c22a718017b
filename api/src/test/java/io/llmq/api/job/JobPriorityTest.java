package io.llmq.api.job;

import static io.llmq.api.ProblemAssertions.isProblem;
import static io.llmq.api.TestTenants.bearer;
import static io.llmq.api.TestTenants.job;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.api.SseClient;
import io.llmq.api.TestSql;
import io.llmq.api.TestTenants;
import io.llmq.common.job.Priority;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A job's {@code priority} (SPEC §2 Submit, The job): taken at submit, stored as its rank, shown
 * wherever the job is shown, {@code normal} when not given, and a 400 naming the field otherwise.
 * No worker runs, so jobs stay queued.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class JobPriorityTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static String withPriority(String prompt, String priority) {
    return "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]},\"priority\":"
        + priority
        + "}";
  }

  private static ValidatableResponse post(String key, String body, String idempotencyKey) {
    var request =
        given().header("Authorization", bearer(key)).contentType(ContentType.JSON).body(body);
    if (idempotencyKey != null) {
      request = request.header("Idempotency-Key", idempotencyKey);
    }
    return request.post("/v1/jobs").then();
  }

  private static String storedRank(String id) {
    return TestSql.column("SELECT priority FROM jobs WHERE id = ?", UUID.fromString(id)).getFirst();
  }

  @ParameterizedTest
  @EnumSource(Priority.class)
  void aPriorityIsStoredAsItsRankAndShownOnTheJobAndInTheList(Priority priority) {
    String key = TestTenants.freshKey();
    String id =
        post(key, withPriority("ranked", "\"" + priority.wire() + "\""), null)
            .statusCode(202)
            .body("priority", equalTo(priority.wire()))
            .extract()
            .path("id");
    assertEquals(Integer.toString(priority.rank()), storedRank(id));
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("priority", equalTo(priority.wire()));
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs")
        .then()
        .statusCode(200)
        .body("data.priority", equalTo(List.of(priority.wire())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ",\"priority\":null"})
  void aJobThatNamesNoPriorityIsNormal(String extra) {
    String key = TestTenants.freshKey();
    String body =
        "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"plain\"}]}"
            + extra
            + "}";
    String id =
        post(key, body, null)
            .statusCode(202)
            .body("priority", equalTo("normal"))
            .extract()
            .path("id");
    assertEquals("1", storedRank(id));
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + id)
        .then()
        .body("priority", equalTo("normal"));
  }

  /** The progress stream's events are the job as GET shows it: its priority included. */
  @Test
  void theFirstStatusEventShowsThePriority() throws Exception {
    String key = TestTenants.freshKey();
    String id =
        post(key, withPriority("streamed", "\"low\""), null).statusCode(202).extract().path("id");
    try (SseClient stream = SseClient.open(id, key)) {
      SseClient.Event first = stream.awaitEvents(1).getFirst();
      assertEquals("status", first.type());
      assertEquals("low", JSON.readTree(first.data()).path("priority").asText());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"urgent\"",
        "\"HIGH\"",
        "\"High\"",
        "\" high\"",
        "\"\"",
        "\"normal \"",
        "0",
        "1",
        "1.5",
        "true",
        "[\"high\"]",
        "{\"level\":\"high\"}"
      })
  void anythingButHighNormalOrLowIs400NamingTheFieldAndCreatesNothing(String value) {
    String key = TestTenants.freshKey();
    isProblem(post(key, withPriority("bad", value), null), 400, "invalid_request")
        .body("detail", equalTo("'priority' must be high, normal or low."));
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs")
        .then()
        .statusCode(200)
        .body("data", hasSize(0));
  }

  /**
   * The replay check compares the whole submitted body, priority included: the same key with
   * another priority is another request (409), and so is one that leaves out a priority it gave.
   */
  @Test
  void aReplayWithAnotherPriorityIsAConflict() {
    String key = TestTenants.freshKey();
    String idempotency = "prio-" + UUID.randomUUID();
    String first =
        post(key, withPriority("once", "\"high\""), idempotency)
            .statusCode(202)
            .extract()
            .path("id");
    post(key, withPriority("once", "\"high\""), idempotency)
        .statusCode(200)
        .body("id", equalTo(first))
        .body("priority", equalTo("high"));
    for (String other : List.of(withPriority("once", "\"low\""), job("once"))) {
      isProblem(post(key, other, idempotency), 409, "conflict");
    }
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + first)
        .then()
        .body("priority", equalTo("high"));
  }
}
