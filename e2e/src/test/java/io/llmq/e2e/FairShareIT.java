package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fair shares as two tenants meet them on two worker replicas: the packaged api and two workers,
 * the simulator standing in for OpenAI with a limit of 1,800 tokens a minute (about a call a
 * second) that llmq is configured with too: low enough that the provider's capacity, not how fast
 * two replicas on a busy machine can grant and start calls, is what the tenants contend for. Every
 * answer runs to its {@code max_tokens} (the simulator's shortest answer is longer), so a call
 * spends what the governor reserved for it: with shorter answers the refunds drain the flood's
 * backlog faster than it was estimated, and the tenants would hardly contend. One tenant floods far
 * more than a minute's worth of jobs; the other arrives later with jobs of the same size. From a
 * fresh start, no call is answered 429; while both wait, the late tenant gets half the calls (equal
 * weights), and its first job starts within seconds, not behind the flood's backlog.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FairShareIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int TPM = 1_800;
  private static final int MAX_TOKENS = 20;
  private static final int FLOOD = 150;
  private static final int LATE = 24;

  private static LlmqProcesses system;

  @BeforeAll
  static void start() {
    system =
        new LlmqProcesses()
            .with("LLMQ_OPENAI_TOKENS_PER_MINUTE", String.valueOf(TPM))
            .with("LLMQ_OPENAI_REQUESTS_PER_MINUTE", "10000");
    system.start(2);
    RestAssured.port = system.apiPort();
    system.simulator(
        "{\"tokens_per_minute\":"
            + TPM
            + ",\"requests_per_minute\":10000,\"time_to_first_token\":20,"
            + "\"tokens_per_second\":5000,\"error_rate\":0}");
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  /**
   * What an earlier test left waiting would be a third tenant: it ends (its grants then find it no
   * longer queued and give their capacity back).
   */
  @BeforeEach
  void noBacklogLeft() {
    system.rows(
        "UPDATE jobs SET status = 'cancelled', completed_at = now() WHERE status = 'queued'"
            + " RETURNING id");
  }

  @Test
  @Order(2)
  void aLateTenantGetsHalfTheCallsAndIsNotQueuedBehindTheFlood() throws Exception {
    Tenant flooder = tenant("flooder");
    Tenant late = tenant("late");
    long limitedBefore = system.simulatorStat("rate_limited");

    List<String> flood = submitAll(flooder, "flood", FLOOD, "");
    // The flood's first minute of tokens starts at once; the rest of it waits.
    awaitCapacitySpent(flooder);
    Instant lateSubmitted = Instant.now();
    List<String> lateJobs = submitAll(late, "late", LATE);
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> count("status = 'succeeded' AND id IN (" + quoted(lateJobs) + ")") == LATE);

    List<Map<String, Object>> starts =
        system.rows(
            "SELECT id::text AS id, started_at FROM jobs WHERE id IN ("
                + quoted(lateJobs)
                + ") ORDER BY started_at");
    Instant firstLate = ((Timestamp) starts.get(0).get("started_at")).toInstant();
    Instant lastLate = ((Timestamp) starts.get(starts.size() - 1).get("started_at")).toInstant();
    long floodInWindow =
        count(
            "id IN ("
                + quoted(flood)
                + ") AND started_at >= '"
                + Timestamp.from(firstLate)
                + "' AND started_at <= '"
                + Timestamp.from(lastLate)
                + "'");
    double lateShare = (double) LATE / (LATE + floodInWindow);
    long limited = system.simulatorStat("rate_limited") - limitedBefore;
    System.out.printf(
        "fair share: late tenant's first start %d ms after its submit; in the window %d late, %d"
            + " flood calls (late share %.3f); %d 429s%n",
        Duration.between(lateSubmitted, firstLate).toMillis(),
        LATE,
        floodInWindow,
        lateShare,
        limited);
    assertEquals(0, limited, "no call was answered 429 from a fresh start");
    assertTrue(lateShare >= 0.45 && lateShare <= 0.55, "late tenant's share " + lateShare);
    // Its fair share of 30 tokens a second is a job about every 2 s; seconds, not the flood's
    // minutes.
    assertTrue(
        Duration.between(lateSubmitted, firstLate).compareTo(Duration.ofSeconds(10)) < 0,
        "the late tenant's first job started " + Duration.between(lateSubmitted, firstLate));
  }

  /**
   * Runs first, on a fresh system: the other test's unfinished flood, ended by SQL, would stay in
   * the waiting room until grants find it ended, and its entries count in the positions and
   * estimates this test waits on.
   */
  @Test
  @Order(1)
  void aHeavierTenantGetsItsWeightAndItsHighPriorityJobsGoFirst() throws Exception {
    Tenant flooder = tenant("flooder-2");
    Tenant heavy = tenant("heavy", 3);
    List<String> flood = submitAll(flooder, "flood-2", FLOOD, "");
    awaitCapacitySpent(flooder);
    List<String> low = submitAll(heavy, "low", LATE / 2, ",\"priority\":\"low\"");
    List<String> high = submitAll(heavy, "high", LATE / 2, ",\"priority\":\"high\"");
    List<String> late = new ArrayList<>(low);
    late.addAll(high);
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> count("status = 'succeeded' AND id IN (" + quoted(late) + ")") == LATE);
    Instant first = startOf(late, "min");
    Instant last = startOf(late, "max");
    long floodInWindow = startedBetween(flood, first, last);
    double share = (double) LATE / (LATE + floodInWindow);
    long lowBeforeHigh =
        count(
            "id IN ("
                + quoted(low)
                + ") AND started_at < (SELECT max(started_at) FROM jobs WHERE id IN ("
                + quoted(high)
                + "))");
    System.out.printf(
        "weight 3: %d heavy, %d flood calls in the window (share %.3f, weights say 0.75);"
            + " %d low-priority jobs started before the last high one%n",
        LATE, floodInWindow, share, lowBeforeHigh);
    assertTrue(share >= 0.675 && share <= 0.825, "heavy tenant's share " + share);
    // The low ones were submitted first; at most the one or two granted before the high ones
    // arrived start ahead of them.
    assertTrue(lowBeforeHigh <= 2, lowBeforeHigh + " low-priority jobs went before high ones");
  }

  /**
   * Waits until the flood waits for the provider's capacity, not merely in the room: the bucket is
   * spent. The flood's queued jobs say it: between two of them, each call ahead adds the time the
   * provider takes to refill one ({@code perCall}); a job with {@code p} calls ahead (5 or more)
   * that expects to wait about {@code p} of those, less 2, finds at most a few calls' tokens left.
   * A long estimate far back in the queue does not say it: from a fresh start every call waits for
   * the cold bucket's probe, and a job 100 calls back expects a long wait while a minute's tokens
   * are still unspent; when the probe answers, the calls those tokens hold start as fast as the
   * room grants them, and a tenant arriving then meets no contention for capacity at all.
   */
  private static void awaitCapacitySpent(Tenant flooder) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          List<Map<String, Object>> queues =
              given()
                  .header("Authorization", "Bearer " + flooder.key())
                  .get("/v1/jobs?status=queued&limit=100")
                  .then()
                  .statusCode(200)
                  .extract()
                  .path("data.queue");
          Instant now = Instant.now();
          // Calls ahead -> milliseconds until the start, of the jobs with an estimate.
          TreeMap<Long, Long> waits = new TreeMap<>();
          for (Map<String, Object> queue : queues) {
            if (queue != null && queue.get("estimated_start_at") != null) {
              long ahead = ((Number) queue.get("position")).longValue();
              Instant estimate = Instant.parse((String) queue.get("estimated_start_at"));
              waits.put(ahead, Duration.between(now, estimate).toMillis());
            }
          }
          Map.Entry<Long, Long> near = waits.ceilingEntry(5L);
          Map.Entry<Long, Long> far = waits.lastEntry();
          if (near == null || far.getKey() - near.getKey() < 10) {
            return false;
          }
          double perCall =
              (double) (far.getValue() - near.getValue()) / (far.getKey() - near.getKey());
          return perCall > 0
              && near.getValue() >= (near.getKey() - 2) * perCall
              && bucketLevel() < TPM / 5.0;
        });
  }

  /**
   * The provider bucket's tokens now, as the governor's reserve script computes them (the level at
   * its last change plus the refill since, at most a minute's worth): what the queue's estimates
   * only suggest. A full bucket (no key yet: a cold start, or a Redis flushed by an earlier test)
   * is a minute's tokens, never spent.
   */
  private static double bucketLevel() throws IOException {
    URI redis = system.redisUri();
    try (Socket socket =
        new Socket(redis.getHost(), redis.getPort() < 0 ? 6379 : redis.getPort())) {
      socket.setSoTimeout(5_000);
      String key = "llmq:governor:provider:openai";
      String command =
          "*5\r\n$5\r\nHMGET\r\n$"
              + key.length()
              + "\r\n"
              + key
              + "\r\n$1\r\nt\r\n$2\r\nts\r\n$3\r\ntpm\r\n";
      socket.getOutputStream().write(command.getBytes(StandardCharsets.US_ASCII));
      BufferedReader reply =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      reply.readLine(); // *3
      String[] fields = new String[3];
      for (int i = 0; i < 3; i++) {
        fields[i] = reply.readLine().equals("$-1") ? null : reply.readLine();
      }
      if (fields[0] == null || fields[1] == null) {
        return TPM;
      }
      double tpm = fields[2] == null ? TPM : Double.parseDouble(fields[2]);
      double elapsed = Math.max(0, System.currentTimeMillis() - Double.parseDouble(fields[1]));
      return Math.min(tpm, Double.parseDouble(fields[0]) + elapsed * tpm / 60_000);
    }
  }

  private static Instant startOf(List<String> ids, String which) {
    return ((Timestamp)
            system
                .rows(
                    "SELECT "
                        + which
                        + "(started_at) AS at FROM jobs WHERE id IN ("
                        + quoted(ids)
                        + ")")
                .get(0)
                .get("at"))
        .toInstant();
  }

  private static long startedBetween(List<String> ids, Instant from, Instant to) {
    return count(
        "id IN ("
            + quoted(ids)
            + ") AND started_at >= '"
            + Timestamp.from(from)
            + "' AND started_at <= '"
            + Timestamp.from(to)
            + "'");
  }

  private record Tenant(String id, String key) {}

  private static Tenant tenant(String name) {
    return tenant(name, 1);
  }

  private static Tenant tenant(String name, double weight) {
    String id =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name, "limits", Map.of("share_weight", weight)))
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String key =
        given()
            .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", name + " key", "scopes", List.of("jobs:write", "jobs:read")))
            .post("/v1/admin/tenants/" + id + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("key");
    return new Tenant(id, key);
  }

  private static List<String> submitAll(Tenant tenant, String label, int count) throws Exception {
    return submitAll(tenant, label, count, "");
  }

  private static List<String> submitAll(Tenant tenant, String label, int count, String extra)
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> submits = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String body =
          "{\"request\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":"
              + MAX_TOKENS
              + ",\"messages\":[{\"role\":\"user\",\"content\":\"A fair question "
              + label
              + " "
              + i
              + "\"}]},\"cache\":\"bypass\""
              + extra
              + "}";
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + system.apiPort() + "/v1/jobs"))
              .header("Authorization", "Bearer " + tenant.key())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
      submits.add(HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    List<String> ids = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> submit : submits) {
      HttpResponse<String> answer = submit.get();
      assertEquals(202, answer.statusCode(), answer.body());
      ids.add(answer.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1"));
    }
    return ids;
  }

  private static long count(String where) {
    return ((Number) system.rows("SELECT count(*) AS n FROM jobs WHERE " + where).get(0).get("n"))
        .longValue();
  }

  private static String quoted(List<String> ids) {
    return String.join(",", ids.stream().map(id -> "'" + id + "'").toList());
  }
}
