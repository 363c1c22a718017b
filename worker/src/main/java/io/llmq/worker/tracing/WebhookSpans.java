package io.llmq.worker.tracing;

import io.llmq.common.telemetry.TraceContexts;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * One client span per webhook attempt, in the trace of the job it tells about (the job's stored
 * trace context is its parent). It names the receiving host, never the full URL (a query string may
 * hold a receiver's token), and never the body.
 */
@ApplicationScoped
public class WebhookSpans {

  private final TraceContexts traces;

  WebhookSpans(TraceContexts traces) {
    this.traces = traces;
  }

  /** {@code post} (answering the HTTP status) inside its span; {@code post} itself when off. */
  public Uni<Integer> around(
      UUID jobId, String traceContext, int attempt, String url, Uni<Integer> post) {
    if (!traces.on()) {
      return post;
    }
    return Uni.createFrom()
        .deferred(() -> {
          var builder =
              traces
                  .tracer()
                  .spanBuilder("webhook attempt")
                  .setParent(TraceContexts.parent(traceContext))
                  .setSpanKind(SpanKind.CLIENT)
                  .setAttribute("http.request.method", "POST")
                  .setAttribute("llmq.webhook.attempt", attempt);
          String host = host(url);
          if (host != null) {
            builder.setAttribute("server.address", host);
          }
          if (jobId != null) {
            builder.setAttribute("llmq.job.id", jobId.toString());
          }
          Span span = builder.startSpan();
          return post.onItemOrFailure()
              .invoke((status, failure) -> {
                if (failure != null) {
                  span.setAttribute("error.type", failure.getClass().getSimpleName());
                  span.setStatus(StatusCode.ERROR);
                } else {
                  span.setAttribute("http.response.status_code", status);
                  if (status < 200 || status >= 300) {
                    span.setAttribute("error.type", Integer.toString(status));
                    span.setStatus(StatusCode.ERROR);
                  }
                }
                span.end();
              })
              .onCancellation()
              .invoke(span::end);
        });
  }

  private static String host(String url) {
    try {
      return java.net.URI.create(url).getHost();
    } catch (IllegalArgumentException | NullPointerException unparsable) {
      return null;
    }
  }
}
