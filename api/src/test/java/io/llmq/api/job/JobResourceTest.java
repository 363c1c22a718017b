package io.llmq.api.job;

import static io.llmq.api.TestTenants.bearer;
import static io.llmq.api.TestTenants.job;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.webhook.WebhookTargets;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job endpoints without a worker: jobs stay queued, which is what these tests need. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class JobResourceTest {

  private static ExtractableResponse<Response> submit(String key, String body) {
    return given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .extract();
  }

  @Test
  void proxyHeadersDoNotRewriteLocationUnlessForwardingIsSwitchedOn() {
    String location =
        given()
            .header("Authorization", bearer(TestTenants.freshKey()))
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "evil.example.com")
            .header("Forwarded", "proto=https;host=evil.example.com")
            .contentType(ContentType.JSON)
            .body(job("forged proxy headers"))
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .header("Location");
    assertTrue(location.startsWith("http://localhost:"), location);
  }

  @Test
  void submitAnswers202WithLocationAndTheQueuedJob() {
    String key = TestTenants.freshKey();
    var submitted =
        given()
            .header("Authorization", bearer(key))
            .contentType(ContentType.JSON)
            .body(
                "{\"request\":{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]},"
                    + "\"metadata\":{\"order\":\"42\"},\"max_attempts\":3,\"cache\":\"bypass\"}")
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .contentType(ContentType.JSON)
            .body("status", equalTo("queued"))
            .body("model", equalTo("gpt-4o-mini"))
            .body("created_at", notNullValue())
            .body("started_at", nullValue())
            .body("attempts", equalTo(0))
            .body("cached", equalTo(false))
            .body("result", nullValue())
            .body("error", nullValue())
            .body("metadata.order", equalTo("42"))
            .extract();
    String id = submitted.path("id");
    assertTrue(submitted.header("Location").endsWith("/v1/jobs/" + id));

    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("id", equalTo(id))
        .body("status", equalTo("queued"));
  }

  @Test
  void anotherTenantGets404ForAJobThatExists() {
    String owner = TestTenants.freshKey();
    String stranger = TestTenants.freshKey();
    String id = submit(owner, job("mine")).path("id");

    given()
        .header("Authorization", bearer(stranger))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));
    given()
        .header("Authorization", bearer(stranger))
        .post("/v1/jobs/" + id + "/cancel")
        .then()
        .statusCode(404);
    given()
        .header("Authorization", bearer(stranger))
        .get("/v1/jobs")
        .then()
        .body("data", hasSize(0));
  }

  @Test
  void keysNeedTheRightScopeAndAValidSecret() {
    String tenant = TestTenants.tenant("scopes");
    String readOnly = TestTenants.key(tenant, "jobs:read");
    given()
        .header("Authorization", bearer(readOnly))
        .contentType(ContentType.JSON)
        .body(job("x"))
        .post("/v1/jobs")
        .then()
        .statusCode(403)
        .contentType("application/problem+json")
        .body("code", equalTo("forbidden"));
    given()
        .contentType(ContentType.JSON)
        .body(job("x"))
        .post("/v1/jobs")
        .then()
        .statusCode(401)
        .header("WWW-Authenticate", "Bearer");
    given()
        .header("Authorization", "Bearer llmq_not-a-real-key")
        .get("/v1/jobs")
        .then()
        .statusCode(401);
    given().header("Authorization", "Basic dXNlcjpwdw==").get("/v1/jobs").then().statusCode(401);
  }

  @Test
  void anIdempotentReplayReturnsTheSameJobAndAReusedKeyWithAnotherBodyConflicts() {
    String key = TestTenants.freshKey();
    String first =
        given()
            .header("Authorization", bearer(key))
            .header("Idempotency-Key", "order-1")
            .contentType(ContentType.JSON)
            .body(job("once"))
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    // The same body, spelled differently, is the same request.
    given()
        .header("Authorization", bearer(key))
        .header("Idempotency-Key", "order-1")
        .contentType(ContentType.JSON)
        .body(
            "{ \"request\" : {\"messages\":[{\"content\":\"once\",\"role\":\"user\"}], \"model\":\"gpt-4o-mini\"} }")
        .post("/v1/jobs")
        .then()
        .statusCode(200)
        .body("id", equalTo(first));
    given()
        .header("Authorization", bearer(key))
        .header("Idempotency-Key", "order-1")
        .contentType(ContentType.JSON)
        .body(job("twice"))
        .post("/v1/jobs")
        .then()
        .statusCode(409)
        .contentType("application/problem+json")
        .body("code", equalTo("conflict"));
    // Another tenant's identical key is its own.
    String other = TestTenants.freshKey();
    String theirs =
        given()
            .header("Authorization", bearer(other))
            .header("Idempotency-Key", "order-1")
            .contentType(ContentType.JSON)
            .body(job("once"))
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    assertNotEquals(first, theirs);
  }

  /**
   * A replay answers with the job its key made even when the guard would refuse the job's {@code
   * webhook_url} now. DNS cannot be moved from here, so the guard that refuses is one whose
   * resolver answers a private address for every host, installed after the first submit.
   */
  @Test
  void aReplayReturnsItsJobEvenIfTheWebhookUrlIsRefusedNow() throws Exception {
    String key = TestTenants.freshKey();
    String body =
        "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hook\"}]},\"webhook_url\":\"https://93.184.216.34/hook\"}";
    String first =
        given()
            .header("Authorization", bearer(key))
            .header("Idempotency-Key", "hooked-1")
            .contentType(ContentType.JSON)
            .body(body)
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    InetAddress[] movedToPrivate = {InetAddress.getByName("10.1.2.3")};
    QuarkusMock.installMockForType(
        new WebhookTargets(false, host -> movedToPrivate), WebhookTargets.class);
    given()
        .header("Authorization", bearer(key))
        .header("Idempotency-Key", "hooked-1")
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .statusCode(200)
        .body("id", equalTo(first));
    // A new key is a new job, which the guard refuses.
    given()
        .header("Authorization", bearer(key))
        .header("Idempotency-Key", "hooked-2")
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/jobs")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("invalid_request"));
    // The same key with another body is still a conflict, not a refusal.
    given()
        .header("Authorization", bearer(key))
        .header("Idempotency-Key", "hooked-1")
        .contentType(ContentType.JSON)
        .body(body.replace("hook\"}]", "other\"}]"))
        .post("/v1/jobs")
        .then()
        .statusCode(409);
  }

  @Test
  void listingPagesNewestFirstWithACursorAndFiltersByStatus() {
    String key = TestTenants.freshKey();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(submit(key, job("job " + i)).path("id"));
    }
    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + ids.get(0) + "/cancel")
        .then()
        .statusCode(200);

    var page1 =
        given()
            .header("Authorization", bearer(key))
            .get("/v1/jobs?limit=2")
            .then()
            .statusCode(200)
            .extract();
    List<String> seen = new ArrayList<>(page1.path("data.id"));
    String cursor = page1.path("next_cursor");
    while (cursor != null) {
      var page =
          given()
              .header("Authorization", bearer(key))
              .queryParam("limit", 2)
              .queryParam("after", cursor)
              .get("/v1/jobs")
              .then()
              .statusCode(200)
              .extract();
      seen.addAll(page.path("data.id"));
      cursor = page.path("next_cursor");
    }
    List<String> newestFirst = new ArrayList<>(ids);
    java.util.Collections.reverse(newestFirst);
    assertEquals(newestFirst, seen);

    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs?status=cancelled")
        .then()
        .body("data.id", equalTo(List.of(ids.get(0))))
        .body("next_cursor", nullValue());
    for (String bad : new String[] {"limit=0", "limit=101", "limit=x", "status=done", "after=!!"}) {
      given()
          .header("Authorization", bearer(key))
          .get("/v1/jobs?" + bad)
          .then()
          .statusCode(400)
          .body("code", equalTo("invalid_request"));
    }
  }

  @Test
  void aQueuedJobIsCancelledAtOnceAndATerminalOneIsAConflict() {
    String key = TestTenants.freshKey();
    String id = submit(key, job("cancel me")).path("id");
    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + id + "/cancel")
        .then()
        .statusCode(200)
        .body("status", equalTo("cancelled"))
        .body("completed_at", notNullValue());
    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + id + "/cancel")
        .then()
        .statusCode(409)
        .body("code", equalTo("conflict"));
  }

  @Test
  void waitingOnAJobThatDoesNotEndAnswersWithItsCurrentStateWhenTheWaitIsOver() {
    String key = TestTenants.freshKey();
    var waited =
        given()
            .header("Authorization", bearer(key))
            .header("Prefer", "wait=1")
            .contentType(ContentType.JSON)
            .body(job("slow"))
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .header("Preference-Applied", nullValue())
            .extract();
    String id = waited.path("id");
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + id + "?wait_seconds=1")
        .then()
        .statusCode(200)
        .body("status", equalTo("queued"));
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + id + "?wait_seconds=61")
        .then()
        .statusCode(400);
  }

  @Test
  void aWaiterWakesWhenTheJobIsCancelled() throws Exception {
    String key = TestTenants.freshKey();
    String id = submit(key, job("to cancel")).path("id");
    var waiter =
        java.util.concurrent.CompletableFuture.supplyAsync(() ->
            given()
                .header("Authorization", bearer(key))
                .get("/v1/jobs/" + id + "?wait_seconds=30")
                .then()
                .extract()
                .<String>path("status"));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(() ->
            given()
                .header("Authorization", bearer(key))
                .post("/v1/jobs/" + id + "/cancel")
                .then()
                .statusCode(200));
    assertEquals("cancelled", waiter.get(10, java.util.concurrent.TimeUnit.SECONDS));
  }

  @Test
  void theTenantReadsItsOwnRecord() {
    String tenant = TestTenants.tenant("self");
    String key = TestTenants.key(tenant);
    given()
        .header("Authorization", bearer(key))
        .get("/v1/tenant")
        .then()
        .statusCode(200)
        .body("id", equalTo(tenant))
        .body("webhook_secret", org.hamcrest.Matchers.startsWith("whsec_"))
        .header("X-Request-Id", notNullValue());
    given()
        .header("Authorization", bearer(key))
        .header("X-Request-Id", "abc-123")
        .get("/v1/tenant")
        .then()
        .header("X-Request-Id", endsWith("abc-123"));
  }

  @Test
  void aClientThatOffersTheCleartextHttp2UpgradeCanSubmit() throws Exception {
    // java.net.http.HttpClient sends "Upgrade: h2c" with a plain-http request by default.
    String key = TestTenants.freshKey();
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> answer =
        client.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        "http://localhost:" + io.restassured.RestAssured.port + "/v1/jobs"))
                .header("Authorization", bearer(key))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(job("over h2c?")))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(202, answer.statusCode(), answer.body());
    assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, answer.version());
  }
}
