package io.llmq.common.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A job's W3C trace context, as stored with the job ({@code jobs.trace_context}) and carried in its
 * queue message's {@code traceparent} and {@code tracestate} headers. The stored form is the {@code
 * traceparent} value, then a newline and the {@code tracestate} value when there is one.
 *
 * <p>With the SDK off (no OTLP endpoint: {@code llmq.otlp.endpoint}) every method answers at once
 * with nothing to do, so tracing costs a job nothing while it is off.
 */
@ApplicationScoped
public class TraceContexts {

  /** The instrumentation scope of every span llmq makes. */
  public static final String SCOPE = "io.llmq";

  public static final String TRACEPARENT = "traceparent";
  public static final String TRACESTATE = "tracestate";

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

  private final boolean on;
  private final Tracer tracer;

  TraceContexts(
      OpenTelemetry openTelemetry,
      @ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false") boolean off) {
    this.on = !off;
    this.tracer = openTelemetry.getTracer(SCOPE);
  }

  /** Whether spans are made and exported. */
  public boolean on() {
    return on;
  }

  public Tracer tracer() {
    return tracer;
  }

  /** The current span's context in its stored form; null when tracing is off or there is none. */
  public String current() {
    return on ? stored(Context.current()) : null;
  }

  /** A context's span in its stored form; null when it has no valid span. */
  public static String stored(Context context) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    if (!span.isValid()) {
      return null;
    }
    Map<String, String> headers = new HashMap<>(2);
    W3C.inject(context, headers, Map::put);
    String parent = headers.get(TRACEPARENT);
    String state = headers.get(TRACESTATE);
    return state == null || state.isEmpty() ? parent : parent + "\n" + state;
  }

  /**
   * The context a stored trace context names, as a remote parent; the root context when {@code
   * stored} is null or unreadable (the spans then begin a new trace).
   */
  public static Context parent(String stored) {
    if (stored == null || stored.isEmpty()) {
      return Context.root();
    }
    int newline = stored.indexOf('\n');
    Map<String, String> headers = new HashMap<>(2);
    headers.put(TRACEPARENT, newline < 0 ? stored : stored.substring(0, newline));
    if (newline >= 0) {
      headers.put(TRACESTATE, stored.substring(newline + 1));
    }
    return W3C.extract(Context.root(), headers, MAP);
  }

  /** The message headers that carry a stored trace context. */
  public static Map<String, Object> headers(String stored) {
    if (stored == null || stored.isEmpty()) {
      return Map.of();
    }
    int newline = stored.indexOf('\n');
    return newline < 0
        ? Map.of(TRACEPARENT, stored)
        : Map.of(
            TRACEPARENT, stored.substring(0, newline), TRACESTATE, stored.substring(newline + 1));
  }

  /** The stored form of the trace context in message headers; null when they carry none. */
  public static String fromHeaders(Map<String, Object> headers) {
    Object parent = headers == null ? null : headers.get(TRACEPARENT);
    if (parent == null) {
      return null;
    }
    Object state = headers.get(TRACESTATE);
    return state == null || state.toString().isEmpty() ? parent.toString() : parent + "\n" + state;
  }

  private static final TextMapGetter<Map<String, String>> MAP =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return List.copyOf(carrier.keySet());
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };
}
