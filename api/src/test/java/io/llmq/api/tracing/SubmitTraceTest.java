package io.llmq.api.tracing;

import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.llmq.api.TestSql;
import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.testing.TestServices;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The api's part of a job's trace (SPEC §5): the submit's server span is stored with the job as its
 * W3C trace context, by the single-row insert and by the batched one, and the relay's publish is a
 * producer span under it whose context the message carries in its {@code traceparent} header.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
@TestProfile(TracingProfile.class)
class SubmitTraceTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final TestServices services = TestServices.get();

  private record Caller(String traceId, String spanId) {
    static Caller random() {
      HexFormat hex = HexFormat.of();
      byte[] trace = new byte[16];
      byte[] span = new byte[8];
      ThreadLocalRandom.current().nextBytes(trace);
      ThreadLocalRandom.current().nextBytes(span);
      trace[0] |= 1;
      span[0] |= 1;
      return new Caller(hex.formatHex(trace), hex.formatHex(span));
    }

    String traceparent() {
      return "00-" + traceId + "-" + spanId + "-01";
    }
  }

  private static String submit(String key, String prompt, Caller caller) {
    return given()
        .header("Authorization", bearer(key))
        .header("traceparent", caller.traceparent())
        .contentType(ContentType.JSON)
        .body(TestTenants.job(prompt))
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  private static String storedContext(String job) {
    return TestSql.column("SELECT trace_context FROM jobs WHERE id = ?::uuid", job).getFirst();
  }

  private static SpanData serverSpanOf(Caller caller) {
    List<SpanData> found =
        TestSpans.EXPORTED.getFinishedSpanItems().stream()
            .filter(span -> span.getKind() == SpanKind.SERVER)
            .filter(span -> span.getTraceId().equals(caller.traceId()))
            .toList();
    assertEquals(1, found.size(), found.toString());
    return found.getFirst();
  }

  private static SpanData publishOf(String job) {
    List<SpanData> found =
        TestSpans.EXPORTED.getFinishedSpanItems().stream()
            .filter(span -> span.getKind() == SpanKind.PRODUCER)
            .filter(
                span -> job.equals(span.getAttributes().get(AttributeKey.stringKey("llmq.job.id"))))
            .toList();
    assertEquals(1, found.size(), found.toString());
    return found.getFirst();
  }

  /** The traceparent header of each message on this run's queue, by job id (taking them). */
  private void drainQueue(Map<String, String> headers) throws Exception {
    try (Connection connection = services.rabbitConnection();
        Channel channel = connection.createChannel()) {
      GetResponse message;
      while ((message = channel.basicGet(LlmqTestResource.QUEUE, true)) != null) {
        String body = new String(message.getBody(), StandardCharsets.UTF_8);
        String job = body.replaceAll(".*\"job_id\":\"([0-9a-f-]{36})\".*", "$1");
        Object parent =
            message.getProps().getHeaders() == null
                ? null
                : message.getProps().getHeaders().get("traceparent");
        headers.put(job, parent == null ? null : parent.toString());
      }
    }
  }

  @Test
  void aSubmitStoresItsSpanWithTheJobAndTheMessageCarriesTheRelaysPublishSpan() throws Exception {
    String key = TestTenants.freshKey();
    Caller caller = Caller.random();
    String job = submit(key, "trace the submit", caller);

    Awaitility.await()
        .atMost(WAIT)
        .until(() ->
            TestSpans.EXPORTED.getFinishedSpanItems().stream()
                .anyMatch(span ->
                    span.getKind() == SpanKind.PRODUCER
                        && job.equals(
                            span.getAttributes().get(AttributeKey.stringKey("llmq.job.id")))));
    Awaitility.await()
        .atMost(WAIT)
        .until(() ->
            TestSpans.EXPORTED.getFinishedSpanItems().stream()
                .anyMatch(span ->
                    span.getKind() == SpanKind.SERVER
                        && span.getTraceId().equals(caller.traceId())));
    SpanData server = serverSpanOf(caller);
    assertEquals(caller.spanId(), server.getParentSpanId());
    assertEquals(
        "00-" + caller.traceId() + "-" + server.getSpanId() + "-01",
        storedContext(job),
        "the job row holds the submit's span");

    SpanData publish = publishOf(job);
    assertEquals(caller.traceId(), publish.getTraceId());
    assertEquals(server.getSpanId(), publish.getParentSpanId());

    Map<String, String> headers = new HashMap<>();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> {
          drainQueue(headers);
          return headers.containsKey(job);
        });
    assertEquals("00-" + caller.traceId() + "-" + publish.getSpanId() + "-01", headers.get(job));
  }

  @Test
  void batchedSubmitsEachStoreTheirOwnTraceContext() throws Exception {
    String key = TestTenants.freshKey();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    Map<Future<String>, Caller> submits = new HashMap<>();
    try {
      for (int i = 0; i < 32; i++) {
        Caller caller = Caller.random();
        String prompt = "batched " + i;
        submits.put(clients.submit(() -> submit(key, prompt, caller)), caller);
      }
      List<String> checked = new ArrayList<>();
      for (Map.Entry<Future<String>, Caller> submitted : submits.entrySet()) {
        String job = submitted.getKey().get(60, TimeUnit.SECONDS);
        String stored = storedContext(job);
        assertNotNull(stored, "trace context of " + job);
        assertEquals(submitted.getValue().traceId(), stored.substring(3, 35), "trace of " + job);
        checked.add(job);
      }
      assertEquals(32, checked.size());
    } finally {
      clients.shutdownNow();
    }
  }
}
