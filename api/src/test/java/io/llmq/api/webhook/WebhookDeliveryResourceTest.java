package io.llmq.api.webhook;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmq.api.TestTenants;
import io.llmq.api.WorkerStandIn;
import io.llmq.common.events.Announcer;
import io.llmq.common.events.EventLog;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The webhook side of the api: the SSRF guard at submit, the delivery that a job's end creates, the
 * delivery log and redelivery. No worker runs here, so nothing is sent; attempts are written as the
 * worker would write them.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class WebhookDeliveryResourceTest {

  /** A public address literal: passes the guard without DNS (this machine has none). */
  private static final String PUBLIC_HOOK = "https://93.184.216.34/hook";

  @Inject EventLog log;
  @Inject Announcer announcer;

  private WorkerStandIn worker;
  private String key;

  @BeforeEach
  void setUp() {
    worker = new WorkerStandIn(log, announcer);
    key = TestTenants.freshKey();
  }

  private String body(String webhookUrl) {
    return "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"hi\"}]},\"webhook_url\":\""
        + webhookUrl
        + "\"}";
  }

  private String submit(String webhookUrl) {
    return given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(body(webhookUrl))
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  @ParameterizedTest
  @CsvSource({
    "https://localhost/hook, points to a loopback address",
    "https://127.0.0.1:8443/hook, points to a loopback address",
    "https://[::1]/hook, points to a loopback address",
    "https://10.0.0.5/hook, points to a private address",
    "https://172.20.1.1/hook, points to a private address",
    "https://192.168.0.10/hook, points to a private address",
    "https://[fd12::1]/hook, points to a private address",
    "https://169.254.1.1/hook, points to a link-local address",
    "https://[fe80::1]/hook, points to a link-local address",
    "https://169.254.169.254/latest/meta-data/, points to a cloud metadata address",
    "https://[fd00:ec2::254]/hook, points to a cloud metadata address",
    "https://0.0.0.0/hook, points to an unspecified address",
    "https://100.100.100.100/hook, points to a shared (CGNAT) address",
    "http://93.184.216.34/hook, must be an absolute https URL",
    "https://user:secret@93.184.216.34/hook, must not carry credentials",
  })
  void aWebhookUrlThatIsNotAPublicHttpsTargetIs400(String url, String why) {
    given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(body(url))
        .post("/v1/jobs")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("invalid_request"))
        .body("type", equalTo("urn:llmq:problem:invalid_request"))
        .body(
            "detail",
            equalTo(
                "'webhook_url' "
                    + why
                    + (why.endsWith("address") ? ", which webhooks may not target." : ".")));
    given().header("Authorization", bearer(key)).get("/v1/jobs").then().body("data", hasSize(0));
  }

  @Test
  void aJobsEndCreatesItsDeliveryNamedAfterTheTerminalEvent() {
    String job = submit(PUBLIC_HOOK);
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + job + "/webhook-deliveries")
        .then()
        .statusCode(200)
        .body("webhook_url", equalTo(PUBLIC_HOOK))
        .body("webhook_id", nullValue())
        .body("status", nullValue())
        .body("data", hasSize(0));

    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + job + "/cancel")
        .then()
        .statusCode(200);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            given()
                    .header("Authorization", bearer(key))
                    .get("/v1/jobs/" + job + "/webhook-deliveries")
                    .then()
                    .extract()
                    .path("webhook_id")
                != null);
    Object terminal =
        worker
            .query("SELECT terminal_event_id FROM jobs WHERE id = '" + job + "'")
            .getFirst()
            .get("terminal_event_id");
    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + job + "/webhook-deliveries")
        .then()
        .body("webhook_id", equalTo(job + "." + terminal))
        .body("status", equalTo("pending"))
        .body("next_attempt_at", notNullValue());
  }

  @Test
  void theLogListsEveryAttemptAndRedeliverySendsAFinishedWebhookAgain() {
    String job = submit(PUBLIC_HOOK);
    UUID id = UUID.fromString(job);
    worker.awaitSubmitted(id);
    worker.start(id, key);
    worker.succeed(id, "done", 1);
    // As the worker records them: one failure, then a success.
    String delivery =
        worker
            .query("SELECT id FROM webhook_deliveries WHERE job_id = '" + job + "'")
            .getFirst()
            .get("id")
            .toString();
    worker.update(
        "INSERT INTO webhook_attempts (delivery_id, job_id, attempted_at, status_code, latency_ms, error)"
            + " VALUES ("
            + delivery
            + ", '"
            + job
            + "', now() - interval '1 minute', 503, 42, 'HTTP 503'), ("
            + delivery
            + ", '"
            + job
            + "', now(), 200, 17, NULL)");
    worker.update(
        "UPDATE webhook_deliveries SET state = 'succeeded', attempts = 2 WHERE id = " + delivery);

    given()
        .header("Authorization", bearer(key))
        .get("/v1/jobs/" + job + "/webhook-deliveries")
        .then()
        .statusCode(200)
        .body("status", equalTo("succeeded"))
        .body("next_attempt_at", nullValue())
        .body("data", hasSize(2))
        .body("data[0].status_code", equalTo(503))
        .body("data[0].latency_ms", equalTo(42))
        .body("data[0].error", equalTo("HTTP 503"))
        .body("data[0].succeeded", equalTo(false))
        .body("data[0].attempted_at", notNullValue())
        .body("data[1].status_code", equalTo(200))
        .body("data[1].error", nullValue())
        .body("data[1].succeeded", equalTo(true));

    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + job + "/webhook-deliveries/redeliver")
        .then()
        .statusCode(202)
        .body("status", equalTo("pending"));
    assertEquals(
        2, worker.query("SELECT id FROM webhook_deliveries WHERE job_id = '" + job + "'").size());
    // Asking again while it is pending does not pile up deliveries.
    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + job + "/webhook-deliveries/redeliver")
        .then()
        .statusCode(202);
    assertEquals(
        2, worker.query("SELECT id FROM webhook_deliveries WHERE job_id = '" + job + "'").size());
  }

  @Test
  void redeliveryNeedsAFinishedJobWithAWebhook() {
    String queued = submit(PUBLIC_HOOK);
    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + queued + "/webhook-deliveries/redeliver")
        .then()
        .statusCode(409)
        .contentType("application/problem+json")
        .body("code", equalTo("conflict"));
    String plain =
        given()
            .header("Authorization", bearer(key))
            .contentType(ContentType.JSON)
            .body(TestTenants.job("no hook"))
            .post("/v1/jobs")
            .then()
            .extract()
            .path("id");
    given()
        .header("Authorization", bearer(key))
        .post("/v1/jobs/" + plain + "/webhook-deliveries/redeliver")
        .then()
        .statusCode(409)
        .body("detail", equalTo("The job has no webhook_url."));
  }

  @Test
  void anotherTenantsJobsDeliveriesAreNotFound() {
    String job = submit(PUBLIC_HOOK);
    String stranger = TestTenants.freshKey();
    given()
        .header("Authorization", bearer(stranger))
        .get("/v1/jobs/" + job + "/webhook-deliveries")
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));
    given()
        .header("Authorization", bearer(stranger))
        .post("/v1/jobs/" + job + "/webhook-deliveries/redeliver")
        .then()
        .statusCode(404);
  }
}
