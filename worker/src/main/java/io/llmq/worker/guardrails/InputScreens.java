package io.llmq.worker.guardrails;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.guardrails.ClassifierModels;
import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.guardrails.Policy;
import io.llmq.common.guardrails.TenantPolicies;
import io.llmq.common.guardrails.Verdict;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.provider.ProvidersConfig;
import io.llmq.worker.provider.Providers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Screens a job's input under its tenant's policies, before any capacity is reserved for it: the
 * moderation check (a provider's moderation endpoint where {@code
 * llmq.guardrails.moderation.provider} names a configured one, {@link LocalModerationRules}
 * otherwise), then the prompt-injection heuristics ({@link InjectionHeuristics}) and, when they
 * found nothing and the tenant chose a classifier model ({@code policies.injection_model}), that
 * model ({@link InjectionClassifier}). A screen that already has a verdict on the job (a
 * redelivered message) is not run again; its verdict is judged under the policy as it stands.
 * Counts {@code llmq.guardrails.flagged}, {@code .blocked} and {@code .unavailable}, each tagged
 * {@code check}, and times {@code llmq.guardrails.duration}, tagged {@code check} and {@code
 * detector}.
 */
@ApplicationScoped
public class InputScreens {

  /** The checker of a verdict that could not be had starts with this. */
  public static final String UNAVAILABLE = "unavailable:";

  /**
   * What screening decided.
   *
   * @param guardrails the job's guardrails with the screens' verdicts
   * @param blocked why the job fails {@code content_blocked}; empty when it goes on
   */
  public record Screening(Guardrails guardrails, Optional<String> blocked) {}

  private static final String MODERATION = "moderation";
  private static final String INJECTION = "injection";

  private static final String CLASSIFIER = "classifier";

  private final ScreensConfig.Moderation moderation;
  private final ScreensConfig.OnOutage injectionOnOutage;
  private final Optional<OpenAiModeration> endpoint;
  private final InjectionHeuristics heuristics;
  private final InjectionClassifier classifier;
  private final ModelCatalog models;
  private final ProvidersConfig providersConfig;
  private final Providers providers;
  private final MeterRegistry metrics;

  InputScreens(
      ScreensConfig.Moderation moderation,
      ScreensConfig.Injection injection,
      ProvidersConfig providersConfig,
      Providers providers,
      ModelCatalog models,
      Vertx vertx,
      ObjectMapper json,
      MeterRegistry metrics) {
    this.moderation = moderation;
    this.injectionOnOutage = injection.onOutage();
    this.metrics = metrics;
    this.models = models;
    this.providersConfig = providersConfig;
    this.providers = providers;
    this.heuristics = new InjectionHeuristics(injection.flagScore());
    this.classifier = new InjectionClassifier(json, injection.classifierTimeout());
    this.endpoint =
        moderation.provider().flatMap(name -> endpoint(name, providersConfig, vertx, json));
  }

  private Optional<OpenAiModeration> endpoint(
      String name, ProvidersConfig providers, Vertx vertx, ObjectMapper json) {
    ProvidersConfig.Provider settings = providers.providers().get(name);
    if (settings == null || !ProvidersConfig.OPENAI.equals(settings.kind())) {
      throw new IllegalStateException(
          "llmq.guardrails.moderation.provider must name a provider of kind openai: " + name);
    }
    if (!settings.configured()) {
      Log.warnf("Moderation provider %s has no API key; local rules moderate instead", name);
      return Optional.empty();
    }
    return Optional.of(
        new OpenAiModeration(
            name, settings, moderation.model(), moderation.timeout(), vertx, json));
  }

  /** Whether a screen must run, or a verdict already had must be judged under a block policy. */
  public boolean due(TenantPolicies policies, Guardrails done) {
    return due(policies.moderation(), done.moderation(), moderation.onOutage())
        || due(policies.injection(), done.injection(), injectionOnOutage);
  }

  private static boolean due(Policy policy, Verdict verdict, ScreensConfig.OnOutage onOutage) {
    return policy.screens() && (verdict == null || blocks(policy, verdict, onOutage));
  }

  /** Screens {@code request} (a Chat Completions body) as {@code policies} say. */
  public Uni<Screening> screen(TenantPolicies policies, Guardrails done, JsonNode request) {
    ScreenInput input = ScreenInput.of(request);
    ScreensConfig.OnOutage onOutage = moderation.onOutage();
    Uni<Verdict> moderation =
        !policies.moderation().screens()
            ? Uni.createFrom().nullItem()
            : done.moderation() != null
                ? Uni.createFrom().item(done.moderation())
                : timed(MODERATION, moderationDetector(), moderate(input.all()));
    return moderation.chain(verdict -> {
      Guardrails moderated = verdict == null ? done : done.withModeration(verdict);
      if (verdict != null && blocks(policies.moderation(), verdict, onOutage)) {
        return blocked(moderated, MODERATION, verdict);
      }
      if (!policies.injection().screens()) {
        return Uni.createFrom().item(new Screening(moderated, Optional.empty()));
      }
      Uni<Verdict> injection =
          done.injection() != null
              ? Uni.createFrom().item(done.injection())
              : injectionVerdict(policies.injectionModel(), input.untrusted());
      return injection.chain(found -> {
        Guardrails screened = moderated.withInjection(found);
        if (blocks(policies.injection(), found, injectionOnOutage)) {
          return blocked(screened, INJECTION, found);
        }
        return Uni.createFrom().item(new Screening(screened, Optional.empty()));
      });
    });
  }

  private String moderationDetector() {
    return endpoint.isPresent() ? "openai-moderation" : "local-rules";
  }

  /**
   * The heuristics' verdict; when they found nothing and the tenant chose a classifier model, the
   * classifier's, or on its outage the heuristics' verdict marked unavailable.
   */
  private Uni<Verdict> injectionVerdict(String model, List<String> texts) {
    Timer.Sample sample = Timer.start(metrics);
    Verdict heuristic = heuristics.judge(texts);
    sample.stop(duration(INJECTION, "heuristics"));
    if (model == null || heuristic.flagged() || texts.isEmpty()) {
      return Uni.createFrom().item(counted(INJECTION, heuristic));
    }
    return classify(model, texts, heuristic).map(verdict -> counted(INJECTION, verdict));
  }

  private Uni<Verdict> classify(String model, List<String> texts, Verdict heuristic) {
    String checker = CLASSIFIER + ":" + model;
    Optional<String> refusal = ClassifierModels.refusal(model, models, providersConfig);
    Optional<Providers.Route> route =
        refusal.isPresent() ? Optional.empty() : providers.forModel(model);
    if (route.isEmpty()) {
      Log.warnf(
          "Injection classifier %s not called: %s", model, refusal.orElse("no provider serves it"));
      return Uni.createFrom().item(classifierUnavailable(heuristic, checker));
    }
    return timed(
            INJECTION,
            CLASSIFIER,
            classifier
                .judge(route.get(), texts)
                .map(flagged -> {
                  Map<String, Double> scores = new TreeMap<>(heuristic.scores());
                  scores.put(CLASSIFIER, flagged ? 1.0 : 0.0);
                  return new Verdict(
                      flagged, checker, flagged ? List.of(CLASSIFIER) : List.of(), scores);
                }))
        .onFailure()
        .recoverWithItem(failure -> {
          Log.warnf("Injection classifier %s unavailable (%s)", model, failure.getMessage());
          return classifierUnavailable(heuristic, checker);
        });
  }

  private Verdict classifierUnavailable(Verdict heuristic, String checker) {
    metrics.counter("llmq.guardrails.unavailable", "check", INJECTION).increment();
    return new Verdict(
        heuristic.flagged(), UNAVAILABLE + checker, heuristic.categories(), heuristic.scores());
  }

  private Uni<Verdict> moderate(List<String> texts) {
    if (endpoint.isEmpty()) {
      return Uni.createFrom().item(() -> counted(MODERATION, LocalModerationRules.judge(texts)));
    }
    OpenAiModeration moderation = endpoint.get();
    if (texts.isEmpty()) {
      return Uni.createFrom().item(new Verdict(false, moderation.checker(), List.of(), Map.of()));
    }
    return moderation
        .judge(texts)
        .map(verdict -> counted(MODERATION, verdict))
        .onFailure()
        .recoverWithItem(failure -> {
          Log.warnf("Moderation endpoint unavailable (%s)", failure.getMessage());
          metrics.counter("llmq.guardrails.unavailable", "check", MODERATION).increment();
          return new Verdict(false, UNAVAILABLE + moderation.checker(), List.of(), Map.of());
        });
  }

  private Uni<Verdict> timed(String check, String detector, Uni<Verdict> verdict) {
    return Uni.createFrom()
        .deferred(() -> {
          Timer.Sample sample = Timer.start(metrics);
          return verdict.eventually(() -> sample.stop(duration(check, detector)));
        });
  }

  private Timer duration(String check, String detector) {
    return metrics.timer("llmq.guardrails.duration", "check", check, "detector", detector);
  }

  private Verdict counted(String check, Verdict verdict) {
    if (verdict.flagged()) {
      metrics.counter("llmq.guardrails.flagged", "check", check).increment();
    }
    return verdict;
  }

  private Uni<Screening> blocked(Guardrails guardrails, String check, Verdict verdict) {
    metrics.counter("llmq.guardrails.blocked", "check", check).increment();
    String policy = MODERATION.equals(check) ? "moderation" : "prompt-injection";
    String message =
        unavailable(verdict)
            ? "The "
                + policy
                + " check was unavailable and the tenant's policy blocks unscreened input"
                + " (llmq.guardrails."
                + check
                + ".on-outage=closed); no model was called."
            : "The input was blocked by the tenant's "
                + policy
                + " policy (found: "
                + String.join(", ", verdict.categories())
                + "; checker: "
                + verdict.checker()
                + "); no model was called.";
    return Uni.createFrom().item(new Screening(guardrails, Optional.of(message)));
  }

  /** Whether a verdict under {@code policy} fails the job. */
  static boolean blocks(Policy policy, Verdict verdict, ScreensConfig.OnOutage onOutage) {
    return policy == Policy.BLOCK
        && (verdict.flagged()
            || (unavailable(verdict) && onOutage == ScreensConfig.OnOutage.CLOSED));
  }

  /** Whether the verdict records a check that could not be had. */
  public static boolean unavailable(Verdict verdict) {
    return verdict.checker() != null && verdict.checker().startsWith(UNAVAILABLE);
  }
}
