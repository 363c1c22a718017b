package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two api processes behind one Redis enforce one submit rate limit between them. */
class RateLimitIT {

  private static final int LIMIT = 10;
  private static final Pattern REMAINING = Pattern.compile("\"tenant\";r=(\\d+);t=\\d+");

  private static LlmqProcesses system;
  private static int[] ports;

  @BeforeAll
  static void start() {
    system = new LlmqProcesses();
    system.start();
    ports = new int[] {system.apiPort(), system.startAnotherApi()};
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  private static String admin(String path, Map<String, Object> body, int status, String field) {
    return given()
        .port(ports[0])
        .header("Authorization", "Bearer " + LlmqProcesses.ADMIN_TOKEN)
        .contentType(ContentType.JSON)
        .body(body)
        .post(path)
        .then()
        .statusCode(status)
        .extract()
        .path(field);
  }

  @Test
  void submitsAlternatingBetweenTwoReplicasShareOneCount() {
    String tenant =
        admin(
            "/v1/admin/tenants",
            Map.of("name", "limited", "limits", Map.of("requests_per_minute", LIMIT)),
            201,
            "id");
    String key = admin("/v1/admin/tenants/" + tenant + "/keys", Map.of("name", "e2e"), 201, "key");

    List<Integer> remaining = new ArrayList<>();
    Set<Integer> refusedBy = new HashSet<>();
    long started = System.nanoTime();
    for (int i = 0; i < 3 * LIMIT; i++) {
      int port = ports[i % 2];
      ExtractableResponse<Response> answer =
          given()
              .port(port)
              .header("Authorization", "Bearer " + key)
              .contentType(ContentType.JSON)
              .body(
                  "{\"request\":{\"model\":\"llmq-sim\",\"messages\":[{\"role\":\"user\","
                      + "\"content\":\"submit "
                      + i
                      + "\"}]}}")
              .post("/v1/jobs")
              .then()
              .extract();
      if (answer.statusCode() == 202) {
        Matcher matcher = REMAINING.matcher(answer.header("RateLimit"));
        assertTrue(matcher.matches(), answer.header("RateLimit"));
        remaining.add(Integer.parseInt(matcher.group(1)));
      } else {
        assertEquals(429, answer.statusCode(), answer.asString());
        assertEquals("rate_limited", answer.path("code"));
        refusedBy.add(port);
      }
    }
    // One count: each replica's answers continue the other's, 9 left after the first, 0 after
    // the tenth, whichever replica answered. A slow machine may let the limit refill one request
    // (every 6 s at 10 a minute) while the loop runs: at most that many more are accepted.
    long refills = Duration.ofNanos(System.nanoTime() - started).toSeconds() / (60 / LIMIT);
    assertEquals(List.of(9, 8, 7, 6, 5, 4, 3, 2, 1, 0), remaining.subList(0, LIMIT));
    assertTrue(
        remaining.size() <= LIMIT + refills,
        remaining.size() + " accepted with " + refills + " refills: " + remaining);
    assertEquals(Set.of(ports[0], ports[1]), refusedBy);
  }
}
