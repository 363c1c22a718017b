package io.llmq.worker.provider;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the provider calls of jobs did, in Prometheus: {@code llmq_provider_call_seconds} (request
 * sent to the last byte, by provider, model and {@code outcome} ok or error), {@code
 * llmq_provider_ttft_seconds} (request sent to the first streamed token), {@code
 * llmq_provider_responses_total} by {@code status_class} (2xx, 4xx, 429, 5xx, or network when no
 * HTTP answer came) and {@code llmq_retries_total} by {@code reason}. A call that is cancelled (its
 * job cancelled or taken back, the worker stopping) is not counted. Meters are made once per label
 * set and kept; recording costs no allocation beyond the call's own {@link Call}.
 */
@ApplicationScoped
public class ProviderMetrics {

  private record Key(String name, String a, String b, String c) {}

  private final MeterRegistry registry;
  private final Map<Key, Meter> meters = new ConcurrentHashMap<>();

  ProviderMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One call of {@code model} at {@code provider}, timed from its subscription. */
  public Call call(String provider, String model) {
    return new Call(provider, model);
  }

  /** A job's attempt failed at the provider and the job is retried. */
  public void retried(String provider, ProviderException failure) {
    counter("llmq.retries", "provider", provider, "reason", reason(failure)).increment();
  }

  /** The status class of an answer: 2xx, 4xx, 429, 5xx, or network when none came. */
  static String statusClass(int status) {
    if (status <= 0) {
      return "network";
    }
    if (status == 429) {
      return "429";
    }
    return (status / 100) + "xx";
  }

  /** Why a failed call is tried again. */
  static String reason(ProviderException failure) {
    if (failure.status() == 429
        || failure.code() == io.llmq.common.job.FailureCode.UPSTREAM_RATE_LIMITED) {
      return "rate_limited";
    }
    if (failure.timedOut()) {
      return "timeout";
    }
    if (failure.status() <= 0) {
      return "network";
    }
    if (failure.status() < 300) {
      return "incomplete_answer";
    }
    return "server_error";
  }

  private Counter counter(String name, String k1, String v1, String k2, String v2) {
    return (Counter)
        meters.computeIfAbsent(
            new Key(name, v1, v2, null),
            key -> Counter.builder(name).tag(k1, v1).tag(k2, v2).register(registry));
  }

  private Timer timer(String name, String provider, String model, String outcome) {
    return (Timer)
        meters.computeIfAbsent(
            new Key(name, provider, model, outcome),
            key -> {
              Timer.Builder builder =
                  Timer.builder(name).tag("provider", provider).tag("model", model);
              if (outcome != null) {
                builder.tag("outcome", outcome);
              }
              return builder.register(registry);
            });
  }

  private Counter responses(String provider, String model, String statusClass) {
    return (Counter)
        meters.computeIfAbsent(
            new Key("llmq.provider.responses", provider, model, statusClass),
            key ->
                Counter.builder("llmq.provider.responses")
                    .tag("provider", provider)
                    .tag("model", model)
                    .tag("status_class", statusClass)
                    .register(registry));
  }

  /** The measures of one call. */
  public final class Call {

    private final String provider;
    private final String model;
    private volatile long started = System.nanoTime();
    private volatile boolean streaming;

    private Call(String provider, String model) {
      this.provider = provider;
      this.model = model;
    }

    /** A token arrived; the first one is the call's time to first token. */
    public void delta() {
      if (!streaming) {
        streaming = true;
        timer("llmq.provider.ttft", provider, model, null)
            .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      }
    }

    /** Times {@code call} from its subscription to its answer or failure. */
    public <T> Uni<T> timed(Uni<T> call) {
      return call.onSubscription()
          .invoke(() -> started = System.nanoTime())
          .onItemOrFailure()
          .invoke((item, failure) -> ended(failure));
    }

    private void ended(Throwable failure) {
      long took = System.nanoTime() - started;
      boolean ok = failure == null;
      if (!ok && !(failure instanceof ProviderException)) {
        return; // not the provider's doing (llmq's own failure, or the call was abandoned)
      }
      timer("llmq.provider.call", provider, model, ok ? "ok" : "error")
          .record(took, TimeUnit.NANOSECONDS);
      int status = ok ? 200 : ((ProviderException) failure).status();
      responses(provider, model, statusClass(status)).increment();
    }
  }
}
