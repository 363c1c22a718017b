package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.http.ContentType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * SPEC §3 Shutdown with the packaged jars: SIGTERM to a worker lets short calls finish, cuts the
 * long ones at its grace and hands their jobs back without spending an attempt (each job may be
 * tried once), and exits 0 with no error logged; SIGTERM to the api ends its SSE streams with a
 * {@code reconnect} event, and a new api resumes each from that {@code Last-Event-ID}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GracefulShutdownIT {

  private static LlmqProcesses system;
  private static String key;

  @BeforeAll
  static void start() {
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
  }

  private static String admin(String path, String field) {
    return given()
        .port(system.apiPort())
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(Map.of("name", "shutdown"))
        .post(path)
        .then()
        .statusCode(201)
        .extract()
        .path(field);
  }

  @Test
  @Order(1)
  void aStoppingWorkerFinishesShortCallsAndHandsBackLongOnesWithoutSpendingAnAttempt()
      throws Exception {
    String first = system.startWorker(Map.of("LLMQ_WORKER_SHUTDOWN_GRACE", "8s"));
    List<String> quick = submit(4, "short", 5_000);
    List<String> slow = submit(4, "long", 30_000);
    awaitRunning(8);

    assertEquals(
        OptionalInt.of(0),
        system.terminateWorkerNamed(first, Duration.ofSeconds(90)),
        "exit code after SIGTERM");
    assertEquals(List.of(), system.errorLines(first.replace("e2e-", "")));
    for (String job : quick) {
      assertEquals("succeeded", status(job), "a call that ended inside the grace");
    }
    for (String job : slow) {
      Map<String, Object> row = row(job);
      assertEquals("queued", row.get("status"), "a job cut at the grace is back in the queue");
      assertEquals(1, ((Number) row.get("handed_back")).intValue());
    }

    system.startWorker();
    Awaitility.await("the handed-back jobs ran again")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> slow.stream().allMatch(job -> "succeeded".equals(status(job))));
    for (String job : slow) {
      assertEquals(2, ((Number) row(job).get("attempts")).intValue());
      // The cut call is accounted as aborted, the second as the one that answered.
      assertEquals(
          List.of("aborted", "succeeded"),
          system
              .rows(
                  "SELECT outcome FROM usage_ledger WHERE job_id = '" + job + "' ORDER BY attempt")
              .stream()
              .map(ledger -> ledger.get("outcome"))
              .toList());
    }
  }

  @Test
  @Order(2)
  void aStoppingApiEndsItsStreamsWithAReconnectThatResumesElsewhere() throws Exception {
    if (system.workerPorts().isEmpty()) {
      system.startWorker();
    }
    List<String> jobs = submit(3, "streamed", 20_000);
    awaitRunning(3);
    List<List<String[]>> seen = new ArrayList<>();
    List<Thread> streams = new ArrayList<>();
    for (String job : jobs) {
      List<String[]> events = Collections.synchronizedList(new ArrayList<>());
      seen.add(events);
      // A thread each: the common pool may have a single thread on a small machine.
      streams.add(Thread.ofPlatform().start(() -> events(job, 0, events)));
    }
    Awaitility.await("every stream's first event")
        .atMost(Duration.ofSeconds(30))
        .until(() -> seen.stream().noneMatch(List::isEmpty));

    assertEquals(0, system.terminateApi(), "exit code after SIGTERM");
    assertEquals(List.of(), system.errorLines("api"));
    system.restartApi();
    for (int i = 0; i < jobs.size(); i++) {
      streams.get(i).join(Duration.ofSeconds(30));
      List<String[]> before = seen.get(i);
      String[] last = before.get(before.size() - 1);
      assertEquals("reconnect", last[0], "the stopping api's last event: " + last[2]);
      long lastId = Long.parseLong(last[2].replaceAll(".*\"last_event_id\":(\\d+).*", "$1"));
      List<String[]> after = new ArrayList<>();
      events(jobs.get(i), lastId, after);
      assertEquals("done", after.get(after.size() - 1)[0]);
      for (String[] event : after) {
        assertTrue(Long.parseLong(event[1]) > lastId, "an event sent twice: " + event[1]);
      }
    }
  }

  private static List<String> submit(int count, String label, int callMillis) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(
          given()
              .port(system.apiPort())
              .header("Authorization", "Bearer " + key)
              .contentType(ContentType.JSON)
              .body(
                  "{\"max_attempts\":1,\"request\":{\"model\":\"llmq-sim\",\"messages\":[{\"role\":"
                      + "\"user\",\"content\":\""
                      + label
                      + " "
                      + i
                      + " [[sim delay_ms="
                      + callMillis
                      + "]]\"}]}}")
              .post("/v1/jobs")
              .then()
              .statusCode(202)
              .extract()
              .path("id"));
    }
    return ids;
  }

  private static void awaitRunning(int count) {
    Awaitility.await(count + " jobs running")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() ->
            ((Number)
                        system
                            .rows("SELECT count(*) AS n FROM jobs WHERE status = 'running'")
                            .get(0)
                            .get("n"))
                    .intValue()
                == count);
  }

  private static Map<String, Object> row(String job) {
    return system.rows("SELECT * FROM jobs WHERE id = '" + job + "'").get(0);
  }

  private static String status(String job) {
    return (String) row(job).get("status");
  }

  /**
   * Reads a job's SSE events from {@code after} until the server ends the stream, into {@code
   * events}: type, id, data.
   */
  private static void events(String job, long after, List<String[]> events) {
    try {
      HttpURLConnection connection =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + system.apiPort() + "/v1/jobs/" + job + "/events")
                  .toURL()
                  .openConnection();
      connection.setRequestProperty("Authorization", "Bearer " + key);
      connection.setRequestProperty("Accept", "text/event-stream");
      if (after > 0) {
        connection.setRequestProperty("Last-Event-ID", Long.toString(after));
      }
      connection.setReadTimeout(60_000);
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
        String type = null;
        String id = null;
        String data = null;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.startsWith("event:")) {
            type = line.substring(6).trim();
          } else if (line.startsWith("id:")) {
            id = line.substring(3).trim();
          } else if (line.startsWith("data:")) {
            data = line.substring(5).trim();
          } else if (line.isEmpty() && type != null) {
            events.add(new String[] {type, id, data});
            type = null;
            id = null;
            data = null;
          }
        }
      }
    } catch (java.io.IOException e) {
      events.add(new String[] {"broken", null, e.getMessage()});
    }
  }
}
