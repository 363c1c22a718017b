package io.llmq.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §5 "traces exported over OTLP when an endpoint is configured", across the packaged apps:
 * with {@code LLMQ_OTLP_ENDPOINT} naming a local OTLP receiver, one job is one trace from the api's
 * submit through the relay, RabbitMQ, the worker's governor wait and provider call to the webhook
 * attempt, with each span under the one its step follows.
 */
class TraceIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static OtlpReceiver collector;
  private static WebhookReceiver hooks;
  private static LlmqProcesses system;
  private static String key;

  @BeforeAll
  static void start() throws Exception {
    collector = new OtlpReceiver();
    hooks = new WebhookReceiver();
    system =
        new LlmqProcesses()
            .with("LLMQ_OTLP_ENDPOINT", collector.endpoint())
            .with("QUARKUS_OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .with("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms")
            .with("LLMQ_WEBHOOKS_ALLOW_INSECURE", "true");
    system.start();
    RestAssured.port = system.apiPort();
    key = system.newTenant("traces").key();
  }

  @AfterAll
  static void stop() throws Exception {
    if (system != null) {
      system.close();
    }
    if (hooks != null) {
      hooks.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  private static List<OtlpReceiver.Span> trace(String traceId) {
    return collector.spans().stream().filter(span -> span.traceId().equals(traceId)).toList();
  }

  private static OtlpReceiver.Span only(
      List<OtlpReceiver.Span> spans, Predicate<OtlpReceiver.Span> which, String what) {
    List<OtlpReceiver.Span> found = spans.stream().filter(which).toList();
    assertEquals(1, found.size(), what + ": " + found);
    return found.getFirst();
  }

  @Test
  void oneJobIsOneTraceFromTheSubmitThroughTheWorkerToTheWebhook() {
    HexFormat hex = HexFormat.of();
    byte[] traceBytes = new byte[16];
    byte[] spanBytes = new byte[8];
    ThreadLocalRandom.current().nextBytes(traceBytes);
    ThreadLocalRandom.current().nextBytes(spanBytes);
    traceBytes[0] |= 1;
    spanBytes[0] |= 1;
    String traceId = hex.formatHex(traceBytes);
    String caller = hex.formatHex(spanBytes);
    String prompt = "trace me " + UUID.randomUUID();

    String job =
        given()
            .header("Authorization", "Bearer " + key)
            .header("traceparent", "00-" + traceId + "-" + caller + "-01")
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "request",
                    Map.of(
                        "model",
                        "gpt-4o-mini",
                        "max_tokens",
                        50,
                        "messages",
                        List.of(Map.of("role", "user", "content", prompt))),
                    "webhook_url",
                    hooks.url()))
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");

    Awaitility.await().atMost(WAIT).until(() -> !hooks.of(job).isEmpty());
    Awaitility.await()
        .atMost(WAIT)
        .until(() ->
            trace(traceId).stream().anyMatch(span -> span.name().equals("webhook attempt"))
                && trace(traceId).stream().anyMatch(span -> span.name().startsWith("chat ")));
    List<OtlpReceiver.Span> spans = trace(traceId);

    OtlpReceiver.Span submit =
        only(
            spans,
            span -> span.kind() == OtlpReceiver.SERVER && span.parentSpanId().equals(caller),
            "the submit's server span");
    assertEquals("llmq-api", submit.service());
    OtlpReceiver.Span publish =
        only(
            spans,
            span ->
                span.kind() == OtlpReceiver.PRODUCER
                    && job.equals(span.attributes().get("llmq.job.id")),
            "the relay's publish");
    assertEquals(submit.spanId(), publish.parentSpanId());
    OtlpReceiver.Span process =
        only(spans, span -> span.kind() == OtlpReceiver.CONSUMER, "the worker's consumer span");
    assertEquals("llmq-worker", process.service());
    assertEquals(publish.spanId(), process.parentSpanId());
    OtlpReceiver.Span wait = only(spans, span -> span.name().equals("governor wait"), "governor");
    assertEquals(process.spanId(), wait.parentSpanId());
    OtlpReceiver.Span chat =
        only(spans, span -> span.name().equals("chat gpt-4o-mini"), "the provider call");
    assertEquals(process.spanId(), chat.parentSpanId());
    assertEquals(OtlpReceiver.CLIENT, chat.kind());
    assertEquals("openai", chat.attributes().get("gen_ai.provider.name"));
    assertEquals("openai", chat.attributes().get("gen_ai.system"));
    assertEquals("chat", chat.attributes().get("gen_ai.operation.name"));
    assertEquals("gpt-4o-mini", chat.attributes().get("gen_ai.request.model"));
    assertTrue(Long.parseLong(chat.attributes().get("gen_ai.usage.input_tokens")) > 0);
    assertTrue(Long.parseLong(chat.attributes().get("gen_ai.usage.output_tokens")) > 0);
    assertTrue(chat.attributes().containsKey("gen_ai.usage.cache_read.input_tokens"));
    OtlpReceiver.Span webhook =
        only(spans, span -> span.name().equals("webhook attempt"), "the webhook attempt");
    assertEquals(submit.spanId(), webhook.parentSpanId());
    assertEquals("204", webhook.attributes().get("http.response.status_code"));
    for (OtlpReceiver.Span span : spans) {
      span.attributes()
          .forEach((name, value) -> assertFalse(value.contains(prompt), "prompt in " + name));
    }
  }
}
