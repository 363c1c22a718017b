package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmq.common.testing.TcpRelay;
import io.llmq.common.testing.TestServices;
import io.restassured.http.ContentType;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A job still waiting for admission at the ack handover keeps its message: a worker whose Redis
 * hangs (connections open, nothing answers) holds the job past the handover, dies, and another
 * worker runs it. Had the first acked the message at the handover, nothing would ever run the job.
 */
class AckHandoverIT {

  private static LlmqProcesses system;
  private static TcpRelay hungRedis;
  private static String key;

  @BeforeAll
  static void start() {
    URI redis = URI.create(TestServices.get().redisUrl());
    hungRedis = new TcpRelay(redis.getHost(), redis.getPort());
    system = new LlmqProcesses();
    system.start(0);
    String tenant = admin("/v1/admin/tenants", "id");
    key = admin("/v1/admin/tenants/" + tenant + "/keys", "key");
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
    if (hungRedis != null) {
      hungRedis.close();
    }
  }

  private static String admin(String path, String field) {
    return given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(Map.of("name", "handover"))
        .post(path)
        .then()
        .statusCode(201)
        .extract()
        .path(field);
  }

  @Test
  void aJobHeldInAdmissionPastTheHandoverStillRunsAfterItsWorkerDies() throws Exception {
    // Its Redis commands wait far longer than the handover, as they would with no timeout.
    String stuck =
        system.startWorker(
            Map.of(
                "LLMQ_REDIS_URL", "redis://127.0.0.1:" + hungRedis.port(),
                "LLMQ_REDIS_TIMEOUT", "120s",
                "LLMQ_CACHE_TIMEOUT", "120s",
                "LLMQ_WORKER_ACK_HANDOVER", "1s"));
    hungRedis.freeze();
    String job =
        given()
            .port(system.apiPort())
            .header("Authorization", "Bearer " + key)
            .contentType(ContentType.JSON)
            .body(
                "{\"request\":{\"model\":\"llmq-sim\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"held in admission\"}]}}")
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    Awaitility.await("the stuck worker took the message")
        .atMost(Duration.ofSeconds(30))
        .until(() -> system.workerMetric(stuck, "llmq_jobs_in_hand") >= 1);
    // Well past the handover (and a recheck would come only after 30 s): nothing was handed over.
    Thread.sleep(4_000);
    assertEquals(0.0, system.workerMetric(stuck, "llmq_messages_handed_over_total"));
    assertEquals("queued", status(job));

    system.killWorkerNamed(stuck);
    system.startWorker();
    Awaitility.await("another worker ran the job")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> "succeeded".equals(status(job)));
    assertEquals(
        1,
        ((Number)
                system
                    .rows("SELECT attempts FROM jobs WHERE id = '" + job + "'")
                    .get(0)
                    .get("attempts"))
            .intValue());
  }

  private static String status(String job) {
    return given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + key)
        .get("/v1/jobs/" + job)
        .then()
        .statusCode(200)
        .extract()
        .path("status");
  }
}
