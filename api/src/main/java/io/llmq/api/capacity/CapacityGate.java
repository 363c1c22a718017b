package io.llmq.api.capacity;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.auth.Caller;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.provider.LimiterCharge;
import io.llmq.common.provider.LimiterCounting;
import io.llmq.common.provider.PromptCalibration;
import io.llmq.common.provider.ProviderRoutes;
import io.llmq.common.request.TokenEstimator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses at submit (400) a job that can never run: one whose worst case, counted as the governor
 * will count it ({@link LimiterCounting}, with the provider's settings and, in tokenizer mode, the
 * shared {@link PromptCalibration}), exceeds a whole minute of a token limit it must pass: its
 * provider's {@code tokens-per-minute}, its model's own {@code tokens-per-minute} there, or its
 * tenant's {@code tokens_per_minute}. Such a job would otherwise wait for capacity that never comes
 * (or be refused by the provider as too large on every attempt). The detail names the tightest
 * limit it exceeds. A model the built-in simulator answers has no provider or model limit; its
 * tenant's still applies, as in the worker. The check comes before the cache is looked at, so a
 * never-fitting request is refused every time, whether or not an answer to it is cached.
 */
@ApplicationScoped
public class CapacityGate {

  private final ProviderRoutes routes;
  private final PromptCalibration calibration;
  private final MeterRegistry metrics;
  private final boolean tenantLabel;

  CapacityGate(
      ProviderRoutes routes,
      PromptCalibration calibration,
      MeterRegistry metrics,
      @ConfigProperty(name = "llmq.metrics.tenant-label", defaultValue = "true")
          boolean tenantLabel) {
    this.routes = routes;
    this.calibration = calibration;
    this.metrics = metrics;
    this.tenantLabel = tenantLabel;
  }

  /** Loads the tokenizer's tables off the event loop, before a submit needs them. */
  void warmUp(@Observes StartupEvent started) {
    Infrastructure.getDefaultWorkerPool().execute(TokenEstimator::warmUp);
  }

  /** One token limit a job must pass, named as the refusal names it. */
  private record Limit(String name, long tokensPerMinute) {}

  /**
   * Passes when {@code request} (a validated chat request for {@code model}) fits a minute of every
   * token limit on its way; throws the 400 that names the tightest one it exceeds otherwise.
   */
  public void check(Caller caller, String model, JsonNode request) {
    Optional<ProviderRoutes.Route> found = routes.of(model);
    if (found.isEmpty()) {
      return;
    }
    ProviderRoutes.Route route = found.get();
    List<Limit> limits = new ArrayList<>(3);
    if (route.governed()) {
      route
          .settings()
          .tokensPerMinute()
          .filter(tpm -> tpm > 0)
          .ifPresent(tpm -> limits.add(new Limit("the provider " + route.provider(), tpm)));
      if (route.modelLimits().tokensPerMinute() > 0) {
        limits.add(
            new Limit(
                "the model " + model + " at " + route.provider(),
                route.modelLimits().tokensPerMinute()));
      }
    }
    if (caller.tenantTokensPerMinute() != null) {
      limits.add(new Limit("your tenant", caller.tenantTokensPerMinute()));
    }
    if (limits.isEmpty()) {
      return;
    }
    LimiterCounting counting = route.settings().counting();
    double ratio =
        counting.mode() == LimiterCounting.Mode.TOKENIZER
            ? calibration.ratio(route.provider())
            : 1.0;
    LimiterCharge charge = counting.charge(route.upstreamModel(), request, ratio);
    limits.stream()
        .filter(limit -> charge.total() > limit.tokensPerMinute())
        .min(Comparator.comparingLong(Limit::tokensPerMinute))
        .ifPresent(limit -> {
          Tags tags = Tags.of("reason", "never_fits");
          if (tenantLabel) {
            tags = tags.and("tenant", caller.tenantId().toString());
          }
          metrics.counter("llmq.submits.refused", tags).increment();
          throw ProblemException.invalid(detail(charge, limit));
        });
  }

  private static String detail(LimiterCharge charge, Limit limit) {
    return String.format(
        Locale.ROOT,
        "The request's worst case is %,d tokens as the provider counts it (%s); %s allows %,d"
            + " tokens per minute, so it could never run. Lower max_tokens or n, or shorten the"
            + " prompt.",
        charge.total(),
        charge.describe(),
        limit.name(),
        limit.tokensPerMinute());
  }
}
