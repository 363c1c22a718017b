package io.llmq.worker.tracing;

import io.llmq.common.telemetry.TraceContexts;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker's span of each job it handles: a consumer span whose parent is the trace context the
 * job's message carried, and under which the job's governor wait, provider call and retry decision
 * go. The span's context is kept by job id while the job is in hand, so the execution's steps find
 * their parent without threading it through every call.
 *
 * <p>With tracing off, every method returns at once and nothing is kept.
 */
@ApplicationScoped
public class JobSpans {

  private final TraceContexts traces;
  private final Map<UUID, Context> inHand = new ConcurrentHashMap<>();

  JobSpans(TraceContexts traces) {
    this.traces = traces;
  }

  public boolean on() {
    return traces.on();
  }

  /**
   * Starts the consumer span of a delivered job message; {@code traceContext} is what its headers
   * carried (stored form, null for none).
   */
  public Span received(UUID jobId, String queue, String traceContext) {
    if (!traces.on()) {
      return Span.getInvalid();
    }
    Span span =
        traces
            .tracer()
            .spanBuilder(queue + " process")
            .setParent(TraceContexts.parent(traceContext))
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute("messaging.system", "rabbitmq")
            .setAttribute("messaging.operation.type", "process")
            .setAttribute("messaging.destination.name", queue)
            .setAttribute("messaging.message.id", jobId.toString())
            .setAttribute("llmq.job.id", jobId.toString())
            .startSpan();
    inHand.put(jobId, Context.root().with(span));
    return span;
  }

  /** Ends the job's consumer span with the outcome of its handling. */
  public void finished(UUID jobId, Span span, String outcome) {
    if (!traces.on()) {
      return;
    }
    inHand.remove(jobId);
    span.setAttribute("llmq.outcome", outcome);
    span.end();
  }

  /** The context the job's steps go under: its consumer span, or a new trace if none is known. */
  public Context of(UUID jobId) {
    Context context = inHand.get(jobId);
    return context == null ? Context.root() : context;
  }

  /**
   * Records the job's wait for the governor's capacity and a provider call slot, from {@code
   * started} until now, with how it ended ({@code admitted}, {@code deferred}, {@code
   * waiting_room}, {@code no_slot}, {@code interrupted}).
   */
  public void governorWait(UUID jobId, Instant started, String provider, String outcome) {
    if (!traces.on()) {
      return;
    }
    traces
        .tracer()
        .spanBuilder("governor wait")
        .setParent(of(jobId))
        .setStartTimestamp(started)
        .setAttribute("llmq.job.id", jobId.toString())
        .setAttribute("llmq.provider", provider)
        .setAttribute("llmq.governor.outcome", outcome)
        .startSpan()
        .end();
  }

  /** A failed attempt goes back to the queue to be tried again after {@code delayMs}. */
  public void retrying(UUID jobId, int attempt, String code, long delayMs) {
    if (!traces.on()) {
      return;
    }
    Span.fromContext(of(jobId))
        .addEvent(
            "llmq.retry",
            io.opentelemetry.api.common.Attributes.builder()
                .put("llmq.attempt", attempt)
                .put("error.type", code)
                .put("llmq.retry.delay_ms", delayMs)
                .build());
  }

  /** When a wait begins: the start of a span made once the wait is over. */
  public Instant now() {
    return traces.on() ? Instant.now() : null;
  }
}
