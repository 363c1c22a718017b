package io.llmq.common.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceContextsTest {

  private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  @Test
  void aStoredContextNamesARemoteParentAndComesBackTheSame() {
    Context parent = TraceContexts.parent(PARENT);
    SpanContext span = Span.fromContext(parent).getSpanContext();
    assertTrue(span.isRemote());
    assertEquals("0af7651916cd43dd8448eb211c80319c", span.getTraceId());
    assertEquals("b7ad6b7169203331", span.getSpanId());
    assertTrue(span.isSampled());
    assertEquals(PARENT, TraceContexts.stored(parent));
  }

  @Test
  void aTracestateTravelsAfterANewlineAndInItsOwnHeader() {
    String stored = PARENT + "\nrojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    assertEquals(stored, TraceContexts.stored(TraceContexts.parent(stored)));
    Map<String, Object> headers = TraceContexts.headers(stored);
    assertEquals(PARENT, headers.get("traceparent"));
    assertEquals("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", headers.get("tracestate"));
    assertEquals(stored, TraceContexts.fromHeaders(headers));
  }

  @Test
  void nothingStoredOrUnreadableIsANewTrace() {
    assertFalse(Span.fromContext(TraceContexts.parent(null)).getSpanContext().isValid());
    assertFalse(Span.fromContext(TraceContexts.parent("garbage")).getSpanContext().isValid());
    assertNull(TraceContexts.stored(Context.root()));
    assertEquals(Map.of(), TraceContexts.headers(null));
    assertNull(TraceContexts.fromHeaders(Map.of()));
  }

  @Test
  void anOtlpEndpointSwitchesTheSdkOnAndPointsTheExporterThere() {
    OtlpConfigSource on = new OtlpConfigSource(" http://collector:4317 ");
    assertEquals("false", on.getValue("quarkus.otel.sdk.disabled"));
    assertEquals("http://collector:4317", on.getValue("quarkus.otel.exporter.otlp.endpoint"));
    assertTrue(on.getOrdinal() > 100 && on.getOrdinal() < 250);
    assertTrue(new OtlpConfigSource("").getPropertyNames().isEmpty());
    assertTrue(new OtlpConfigSource(null).getPropertyNames().isEmpty());
  }
}
