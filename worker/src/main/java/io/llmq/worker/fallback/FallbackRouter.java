package io.llmq.worker.fallback;

import io.llmq.common.pricing.ModelCatalog;
import io.llmq.worker.governor.CallCapacity;
import io.llmq.worker.provider.Providers;
import io.llmq.worker.provider.simulated.SimulatedProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Chooses the model that serves a job's next attempt (SPEC §3 Fallbacks): the model its attempts go
 * to (its own, or the one it moved on to when attempts ran out), unless that model is out, then the
 * next of its own model's chain that is not: a model is out while its provider's circuit is open
 * (or half-open with every probe taken), or while a 429 pauses it longer than {@code
 * llmq.fallbacks.max-wait}. The last model of the chain is never skipped for a pause (it waits like
 * any job). With the tenant's {@code fallbacks} off the job's own model is the only candidate.
 * Every attempt a fallback serves counts in {@code llmq.fallbacks} (tags {@code from}, {@code to},
 * {@code reason}).
 */
@ApplicationScoped
public class FallbackRouter {

  /** Why a job's attempt went to another model than its own. */
  public static final String CIRCUIT_OPEN = "circuit_open";

  public static final String PAUSED = "paused";
  public static final String ATTEMPTS_EXHAUSTED = "attempts_exhausted";

  /**
   * One attempt's question.
   *
   * @param requested the job's own model, whose chain counts
   * @param start where its attempts go now: {@code requested}, or the model it moved on to
   * @param fallbacks whether its tenant allows fallbacks
   */
  public record Ask(UUID jobId, String requested, String start, boolean fallbacks) {}

  /** What the router decided. */
  public sealed interface Choice {}

  /**
   * The attempt goes to {@code model} over {@code route}.
   *
   * @param reason why that is not {@link Ask#start()}; {@code null} when it is
   */
  public record Serve(String model, Providers.Route route, CircuitBreaker.Pass pass, String reason)
      implements Choice {}

  /** Every model that could serve it is out: the job waits about {@code delay}, still queued. */
  public record Hold(Duration delay) implements Choice {}

  /** No provider is configured for any model that could serve it. */
  public record Unroutable() implements Choice {}

  private final ModelCatalog models;
  private final Providers providers;
  private final CircuitBreaker breaker;
  private final CallCapacity capacity;
  private final Duration maxWait;
  private final MeterRegistry metrics;

  FallbackRouter(
      ModelCatalog models,
      Providers providers,
      CircuitBreaker breaker,
      CallCapacity capacity,
      FallbackConfig config,
      MeterRegistry metrics) {
    this.models = models;
    this.providers = providers;
    this.breaker = breaker;
    this.capacity = capacity;
    this.maxWait = config.maxWait();
    this.metrics = metrics;
  }

  public Uni<Choice> choose(Ask ask) {
    List<String> candidates = new ArrayList<>();
    candidates.add(ask.start());
    if (ask.fallbacks()) {
      candidates.addAll(after(ask.requested(), ask.start()));
    }
    return tryFrom(ask, candidates, 0, null, null)
        .invoke(choice -> {
          if (choice instanceof Serve serve && serve.reason() != null) {
            counted(ask.requested(), serve.model(), serve.reason());
            Log.infof(
                "Job(id=%s) served by %s instead of %s (%s)",
                ask.jobId(), serve.model(), ask.start(), serve.reason());
          }
        });
  }

  /**
   * The model a job whose attempts ran out on {@code serving} moves on to: the next of {@code
   * requested}'s chain after it that a provider can serve; empty at the chain's end.
   */
  public Optional<String> next(String requested, String serving) {
    return after(requested, serving).stream()
        .filter(model -> providers.forModel(model).isPresent())
        .findFirst();
  }

  /** Whether a pause of {@code pause} is longer than a job waits out on its own model. */
  public boolean beyondMaxWait(Duration pause) {
    return pause.compareTo(maxWait) > 0;
  }

  /** Counts a fallback in {@code llmq.fallbacks}. */
  public void counted(String from, String to, String reason) {
    metrics.counter("llmq.fallbacks", "from", from, "to", to, "reason", reason).increment();
  }

  /** The chain of {@code requested} after {@code model} (all of it when {@code model} is first). */
  private List<String> after(String requested, String model) {
    List<String> chain = models.fallbacksOf(requested);
    if (model.equals(requested)) {
      return chain;
    }
    int at = chain.indexOf(model);
    return at < 0 ? List.of() : chain.subList(at + 1, chain.size());
  }

  private Uni<Choice> tryFrom(
      Ask ask, List<String> candidates, int at, String reason, Duration hold) {
    if (at == candidates.size()) {
      return Uni.createFrom().item(hold == null ? new Unroutable() : new Hold(hold));
    }
    String model = candidates.get(at);
    Optional<Providers.Route> found = providers.forModel(model);
    if (found.isEmpty()) {
      return tryFrom(ask, candidates, at + 1, reason, hold);
    }
    Providers.Route route = found.get();
    boolean last = at == candidates.size() - 1;
    Uni<Duration> paused = last ? Uni.createFrom().item(Duration.ZERO) : capacity.pausedFor(route);
    return paused.chain(pause -> {
      if (beyondMaxWait(pause)) {
        return tryFrom(ask, candidates, at + 1, reason == null ? PAUSED : reason, hold);
      }
      return pass(route, ask.jobId())
          .chain(pass -> {
            if (pass.go()) {
              return Uni.createFrom().<Choice>item(new Serve(model, route, pass, reason));
            }
            Duration wait = hold == null || pass.delay().compareTo(hold) < 0 ? pass.delay() : hold;
            return tryFrom(ask, candidates, at + 1, reason == null ? CIRCUIT_OPEN : reason, wait);
          });
    });
  }

  private Uni<CircuitBreaker.Pass> pass(Providers.Route route, UUID jobId) {
    String provider = route.provider().name();
    boolean simulated = SimulatedProvider.KIND.equals(route.settings().kind());
    return breaker.guards(simulated)
        ? breaker.allow(provider, jobId.toString())
        : Uni.createFrom().item(CircuitBreaker.Pass.free(provider, jobId.toString()));
  }
}
