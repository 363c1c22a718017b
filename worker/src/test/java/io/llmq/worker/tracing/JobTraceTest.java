package io.llmq.worker.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One trace per job in the worker (SPEC §5): a job whose row holds its submit's trace context is
 * published by the outbox sweep, consumed, waits for the governor, calls the provider and posts its
 * webhook, every span in the submit's trace with the parents the job's path gives them. A job taken
 * back by the reaper, and a retried one, go on in the same trace.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
@TestProfile(TracingProfile.class)
class JobTraceTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("llmq.job.id");

  private final TestJobs jobs = new TestJobs();
  private HttpServer receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  /** A submit's span as the api stores it: {@code traceparent} of a sampled span. */
  private record Submit(String traceId, String spanId) {
    static Submit random() {
      HexFormat hex = HexFormat.of();
      byte[] trace = new byte[16];
      byte[] span = new byte[8];
      ThreadLocalRandom.current().nextBytes(trace);
      ThreadLocalRandom.current().nextBytes(span);
      trace[0] |= 1;
      span[0] |= 1;
      return new Submit(hex.formatHex(trace), hex.formatHex(span));
    }

    String traceparent() {
      return "00-" + traceId + "-" + spanId + "-01";
    }
  }

  private void storeTrace(UUID job, Submit submit) {
    jobs.update(
        "UPDATE jobs SET trace_context = '" + submit.traceparent() + "' WHERE id = '" + job + "'");
  }

  /**
   * The job's outbox row, due now: the sweep publishes it, as after a submit whose relay failed.
   */
  private void outbox(UUID job, UUID tenant) {
    jobs.update(
        "INSERT INTO job_outbox (job_id, tenant_id, available_at) VALUES ('"
            + job
            + "', '"
            + tenant
            + "', now())");
  }

  private static List<SpanData> spansOf(UUID job) {
    return TestSpans.EXPORTED.getFinishedSpanItems().stream()
        .filter(span -> job.toString().equals(span.getAttributes().get(JOB_ID)))
        .toList();
  }

  private static List<SpanData> named(UUID job, Predicate<SpanData> which) {
    return spansOf(job).stream().filter(which).toList();
  }

  private static SpanData only(UUID job, Predicate<SpanData> which, String what) {
    List<SpanData> found = named(job, which);
    assertEquals(1, found.size(), what + ": " + found);
    return found.getFirst();
  }

  private static Predicate<SpanData> name(String name) {
    return span -> span.getName().equals(name);
  }

  @Test
  void aJobsSpansFormOneTreeUnderItsSubmitFromTheRelayToTheWebhook() {
    UUID tenant = jobs.tenant();
    String prompt = "trace me " + UUID.randomUUID();
    String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    UUID job = jobs.queuedWithWebhook(tenant, prompt, hook);
    Submit submit = Submit.random();
    storeTrace(job, submit);
    outbox(job, tenant);

    Awaitility.await().atMost(WAIT).until(() -> "succeeded".equals(jobs.status(job)));
    Awaitility.await()
        .atMost(WAIT)
        .until(() ->
            !named(job, name("webhook attempt")).isEmpty()
                && !named(job, name(LlmqTestResource.QUEUE + " process")).isEmpty());

    for (SpanData span : spansOf(job)) {
      assertEquals(submit.traceId(), span.getTraceId(), "one trace: " + span);
      span.getAttributes()
          .forEach((key, value) ->
              assertFalse(String.valueOf(value).contains(prompt), "no prompt in " + key));
    }
    SpanData publish = only(job, name(LlmqTestResource.QUEUE + " publish"), "publish");
    assertEquals(SpanKind.PRODUCER, publish.getKind());
    assertEquals(submit.spanId(), publish.getParentSpanId());
    assertEquals(
        "rabbitmq", publish.getAttributes().get(AttributeKey.stringKey("messaging.system")));

    SpanData process = only(job, name(LlmqTestResource.QUEUE + " process"), "process");
    assertEquals(SpanKind.CONSUMER, process.getKind());
    assertEquals(publish.getSpanId(), process.getParentSpanId());
    assertEquals("ack", process.getAttributes().get(AttributeKey.stringKey("llmq.outcome")));

    SpanData wait = only(job, name("governor wait"), "governor wait");
    assertEquals(process.getSpanId(), wait.getParentSpanId());
    assertEquals(
        "admitted", wait.getAttributes().get(AttributeKey.stringKey("llmq.governor.outcome")));

    SpanData chat = only(job, name("chat llmq-sim"), "provider call");
    assertEquals(SpanKind.CLIENT, chat.getKind());
    assertEquals(process.getSpanId(), chat.getParentSpanId());
    assertTrue(chat.getStartEpochNanos() >= wait.getStartEpochNanos(), "the call follows the wait");
    var attributes = chat.getAttributes();
    assertEquals("chat", attributes.get(AttributeKey.stringKey("gen_ai.operation.name")));
    assertEquals("llmq.simulated", attributes.get(AttributeKey.stringKey("gen_ai.provider.name")));
    assertEquals("llmq.simulated", attributes.get(AttributeKey.stringKey("gen_ai.system")));
    assertEquals("llmq-sim", attributes.get(AttributeKey.stringKey("gen_ai.request.model")));
    assertNotNull(attributes.get(AttributeKey.stringKey("gen_ai.response.model")));
    assertTrue(attributes.get(AttributeKey.longKey("gen_ai.usage.input_tokens")) > 0);
    assertTrue(attributes.get(AttributeKey.longKey("gen_ai.usage.output_tokens")) > 0);
    assertEquals(0L, attributes.get(AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens")));
    assertNotNull(attributes.get(AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens")));
    assertEquals(1L, attributes.get(AttributeKey.longKey("llmq.attempt")));

    SpanData webhook = only(job, name("webhook attempt"), "webhook attempt");
    assertEquals(SpanKind.CLIENT, webhook.getKind());
    assertEquals(submit.spanId(), webhook.getParentSpanId());
    assertEquals(
        204L, webhook.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
    assertEquals(
        "127.0.0.1", webhook.getAttributes().get(AttributeKey.stringKey("server.address")));
  }

  @Test
  void aJobTheReaperTookBackGoesOnInItsSubmitsTrace() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.orphaned(tenant, "reaped " + UUID.randomUUID());
    Submit submit = Submit.random();
    storeTrace(job, submit);

    Awaitility.await().atMost(WAIT).until(() -> "succeeded".equals(jobs.status(job)));
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> !named(job, name(LlmqTestResource.QUEUE + " process")).isEmpty());

    SpanData publish = only(job, name(LlmqTestResource.QUEUE + " publish"), "publish");
    assertEquals(submit.traceId(), publish.getTraceId());
    assertEquals(submit.spanId(), publish.getParentSpanId());
    SpanData process = only(job, name(LlmqTestResource.QUEUE + " process"), "process");
    assertEquals(submit.traceId(), process.getTraceId());
    assertEquals(publish.getSpanId(), process.getParentSpanId());
    SpanData chat = only(job, name("chat gpt-4o-mini"), "the second attempt's call");
    assertEquals(submit.traceId(), chat.getTraceId());
    assertEquals(2L, chat.getAttributes().get(AttributeKey.longKey("llmq.attempt")));
  }

  @Test
  void eachAttemptOfARetriedJobIsItsOwnProviderSpanInOneTrace() {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queued(
            tenant,
            "llmq-sim",
            "always 503 " + UUID.randomUUID() + " [[sim fail=upstream_error]]",
            2);
    Submit submit = Submit.random();
    storeTrace(job, submit);
    outbox(job, tenant);

    Awaitility.await().atMost(WAIT).until(() -> "failed".equals(jobs.status(job)));
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> named(job, name(LlmqTestResource.QUEUE + " process")).size() >= 2);

    List<SpanData> calls = named(job, name("chat llmq-sim"));
    assertEquals(2, calls.size(), calls.toString());
    for (SpanData call : calls) {
      assertEquals(submit.traceId(), call.getTraceId());
      assertEquals(
          "upstream_error", call.getAttributes().get(AttributeKey.stringKey("error.type")));
    }
    assertEquals(
        List.of(1L, 2L),
        calls.stream()
            .map(call -> call.getAttributes().get(AttributeKey.longKey("llmq.attempt")))
            .sorted()
            .toList());
    // The retry's message came through the sweep, published under the submit again.
    List<SpanData> publishes = named(job, name(LlmqTestResource.QUEUE + " publish"));
    assertEquals(2, publishes.size(), publishes.toString());
    publishes.forEach(publish -> assertEquals(submit.spanId(), publish.getParentSpanId()));
    assertTrue(
        spansOf(job).stream()
            .filter(name(LlmqTestResource.QUEUE + " process"))
            .anyMatch(process ->
                process.getEvents().stream()
                    .anyMatch(event -> event.getName().equals("llmq.retry"))),
        "the retry is an event on the first attempt's span");
  }
}
