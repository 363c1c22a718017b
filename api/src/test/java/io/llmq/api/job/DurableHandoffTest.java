package io.llmq.api.job;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A 202 means the job reaches the queue, even when the broker is down at submit time: the outbox
 * keeps it until RabbitMQ is back. Under a burst, each message is published once and its outbox row
 * deleted (in batches, {@code OutboxDeletes}).
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class DurableHandoffTest {

  private static final Pattern JOB_ID = Pattern.compile("\"job_id\":\"([0-9a-f-]{36})\"");

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

  @Test
  void aBurstOfSubmitsIsPublishedOnceEachAndLeavesNoOutboxRows() throws Exception {
    String key = TestTenants.freshKey();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    List<Future<String>> submits = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        String prompt = "burst " + i;
        submits.add(clients.submit(() -> submit(key, prompt)));
      }
      List<String> jobs = new ArrayList<>();
      for (Future<String> submitted : submits) {
        jobs.add(submitted.get(60, TimeUnit.SECONDS));
      }
      // Rows leave the outbox only once their message is confirmed; after that nothing publishes
      // them again, so each job's messages can be counted once the outbox is empty.
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> outboxRows() == 0);
      Map<String, Integer> published = new HashMap<>();
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> {
            drainQueue(published);
            return jobs.stream().allMatch(published::containsKey);
          });
      drainQueue(published);
      jobs.forEach(job -> assertEquals(1, published.get(job), "messages for job " + job));
    } finally {
      clients.shutdownNow();
    }
  }

  /** Counts the messages on this run's queue by job id (taking what it reads). */
  private void drainQueue(Map<String, Integer> published) throws Exception {
    try (Connection connection = services.rabbitConnection();
        Channel channel = connection.createChannel()) {
      GetResponse message;
      while ((message = channel.basicGet(LlmqTestResource.QUEUE, true)) != null) {
        String body = new String(message.getBody(), StandardCharsets.UTF_8);
        Matcher job = JOB_ID.matcher(body);
        if (job.find()) {
          published.merge(job.group(1), 1, Integer::sum);
        }
      }
    }
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
