package io.llmq.api.job;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.testing.TestServices;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A 202 means the job reaches the queue, even when the broker is down at submit time: the outbox
 * keeps it until RabbitMQ is back.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class DurableHandoffTest {

  private final TestServices services = TestServices.get();

  @Test
  void aJobSubmittedWhileTheBrokerIsDownIsPublishedWhenItReturns() throws Exception {
    String key = TestTenants.freshKey();
    String before = submit(key, "before the outage");
    awaitOnQueue(before, Duration.ofSeconds(20));

    services.stopBroker();
    String during;
    try {
      during = submit(key, "during the outage");
    } finally {
      services.startBroker();
    }
    awaitOnQueue(during, Duration.ofSeconds(90));
    // Published and confirmed: nothing is left in the outbox.
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> outboxRows() == 0);
  }

  private long outboxRows() throws java.sql.SQLException {
    try (var connection =
            java.sql.DriverManager.getConnection(
                "jdbc:" + services.dbUrl(TestServices.testDatabase()),
                services.pgUser(),
                services.pgPassword());
        var rows = connection.createStatement().executeQuery("SELECT count(*) FROM job_outbox")) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static String submit(String key, String prompt) {
    return given()
        .header("Authorization", bearer(key))
        .contentType(ContentType.JSON)
        .body(TestTenants.job(prompt))
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  /** Waits until a message naming the job is on this run's queue (taking what it reads). */
  private void awaitOnQueue(String jobId, Duration within) {
    Set<String> seen = new HashSet<>();
    Awaitility.await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> {
          try (Connection connection = services.rabbitConnection();
              Channel channel = connection.createChannel()) {
            GetResponse message;
            while ((message = channel.basicGet(LlmqTestResource.QUEUE, true)) != null) {
              seen.add(new String(message.getBody(), StandardCharsets.UTF_8));
            }
          }
          return seen.stream().anyMatch(body -> body.contains(jobId));
        });
    assertTrue(seen.stream().anyMatch(body -> body.contains("\"job_id\":\"" + jobId + "\"")));
  }
}
