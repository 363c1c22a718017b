package io.llmq.worker.tracing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Every ended span into memory, at once, for the trace tests (the SDK is on only in {@link
 * TracingProfile}). The exporter is no bean itself, so nothing else exports into it a second time.
 */
public class TestSpans {

  public static final InMemorySpanExporter EXPORTED = InMemorySpanExporter.create();

  @Produces
  @Singleton
  SpanProcessor inMemory() {
    return SimpleSpanProcessor.create(EXPORTED);
  }
}
