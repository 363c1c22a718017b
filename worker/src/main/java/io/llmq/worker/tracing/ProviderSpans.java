package io.llmq.worker.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.telemetry.TraceContexts;
import io.llmq.worker.provider.Completion;
import io.llmq.worker.provider.ProviderException;
import io.llmq.worker.provider.Providers;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One client span per provider call, named and dressed as the OpenTelemetry GenAI semantic
 * conventions say: {@code chat {model}}, {@code gen_ai.operation.name=chat}, the provider (as
 * {@code gen_ai.provider.name} and the older {@code gen_ai.system}), the requested and answering
 * model, and the usage ({@code gen_ai.usage.input_tokens}, {@code …output_tokens}, {@code
 * …cache_read.input_tokens}, {@code …cache_creation.input_tokens}). No prompt or answer text goes
 * in a span. Each attempt is its own call, so its own span ({@code llmq.attempt}).
 */
@ApplicationScoped
public class ProviderSpans {

  private final TraceContexts traces;
  private final JobSpans jobs;

  ProviderSpans(TraceContexts traces, JobSpans jobs) {
    this.traces = traces;
    this.jobs = jobs;
  }

  /** {@code call} inside its span, a child of the job's span; {@code call} itself when off. */
  public Uni<Completion> around(
      UUID jobId, int attempt, Providers.Route route, Uni<Completion> call) {
    if (!traces.on()) {
      return call;
    }
    return Uni.createFrom()
        .deferred(() -> {
          Span span = start(jobId, attempt, route);
          return call.onItemOrFailure()
              .invoke((completion, failure) -> end(span, completion, failure))
              .onCancellation()
              .invoke(() -> {
                span.setAttribute("error.type", "cancelled");
                span.setStatus(StatusCode.ERROR);
                span.end();
              });
        });
  }

  private Span start(UUID jobId, int attempt, Providers.Route route) {
    String provider = system(route.settings().kind());
    return traces
        .tracer()
        .spanBuilder("chat " + route.upstreamModel())
        .setParent(jobs.of(jobId))
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute("gen_ai.operation.name", "chat")
        .setAttribute("gen_ai.provider.name", provider)
        .setAttribute("gen_ai.system", provider)
        .setAttribute("gen_ai.request.model", route.upstreamModel())
        .setAttribute("llmq.provider", route.provider().name())
        .setAttribute("llmq.job.id", jobId.toString())
        .setAttribute("llmq.attempt", attempt)
        .startSpan();
  }

  private static void end(Span span, Completion completion, Throwable failure) {
    if (failure != null) {
      span.setAttribute(
          "error.type",
          failure instanceof ProviderException rejected
              ? rejected.code().wire()
              : failure.getClass().getSimpleName());
      span.setStatus(StatusCode.ERROR);
    } else {
      JsonNode result = completion.result();
      String model = result == null ? "" : result.path("model").asText("");
      if (!model.isEmpty()) {
        span.setAttribute("gen_ai.response.model", model);
      }
      String id = result == null ? "" : result.path("id").asText("");
      if (!id.isEmpty()) {
        span.setAttribute("gen_ai.response.id", id);
      }
      List<String> reasons = finishReasons(result);
      if (!reasons.isEmpty()) {
        span.setAttribute(
            io.opentelemetry.api.common.AttributeKey.stringArrayKey(
                "gen_ai.response.finish_reasons"),
            reasons);
      }
      span.setAttribute("gen_ai.usage.input_tokens", completion.promptTokens());
      span.setAttribute("gen_ai.usage.output_tokens", completion.completionTokens());
      span.setAttribute("gen_ai.usage.cache_read.input_tokens", completion.cachedPromptTokens());
      span.setAttribute("gen_ai.usage.cache_creation.input_tokens", completion.cacheWriteTokens());
    }
    span.end();
  }

  private static List<String> finishReasons(JsonNode result) {
    List<String> reasons = new ArrayList<>(1);
    if (result != null) {
      for (JsonNode choice : result.path("choices")) {
        String reason = choice.path("finish_reason").asText("");
        if (!reason.isEmpty()) {
          reasons.add(reason);
        }
      }
    }
    return reasons;
  }

  /** The provider as the conventions name it: their well-known values, else llmq's kind. */
  static String system(String kind) {
    return switch (kind) {
      case "openai" -> "openai";
      case "anthropic" -> "anthropic";
      default -> "llmq." + kind;
    };
  }
}
