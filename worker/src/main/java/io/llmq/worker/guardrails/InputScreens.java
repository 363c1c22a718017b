package io.llmq.worker.guardrails;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.guardrails.Policy;
import io.llmq.common.guardrails.TenantPolicies;
import io.llmq.common.guardrails.Verdict;
import io.llmq.common.provider.ProvidersConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Screens a job's input under its tenant's policies, before any capacity is reserved for it: the
 * moderation check (a provider's moderation endpoint where {@code
 * llmq.guardrails.moderation.provider} names a configured one, {@link LocalModerationRules}
 * otherwise), then the prompt-injection heuristics ({@link InjectionHeuristics}). A screen that
 * already has a verdict on the job (a redelivered message) is not run again; its verdict is judged
 * under the policy as it stands. Counts {@code llmq.guardrails.flagged}, {@code .blocked} and
 * {@code .unavailable} and times {@code llmq.guardrails.duration}, each tagged {@code check}.
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

  private final ScreensConfig.Moderation moderation;
  private final Optional<OpenAiModeration> endpoint;
  private final InjectionHeuristics heuristics;
  private final MeterRegistry metrics;

  InputScreens(
      ScreensConfig.Moderation moderation,
      ScreensConfig.Injection injection,
      ProvidersConfig providers,
      Vertx vertx,
      ObjectMapper json,
      MeterRegistry metrics) {
    this.moderation = moderation;
    this.metrics = metrics;
    this.heuristics = new InjectionHeuristics(injection.flagScore());
    this.endpoint = moderation.provider().flatMap(name -> endpoint(name, providers, vertx, json));
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
        || due(policies.injection(), done.injection(), ScreensConfig.OnOutage.OPEN);
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
                : timed(MODERATION, moderate(input.all()));
    return moderation.chain(verdict -> {
      Guardrails moderated = verdict == null ? done : done.withModeration(verdict);
      if (verdict != null && blocks(policies.moderation(), verdict, onOutage)) {
        return blocked(moderated, MODERATION, verdict);
      }
      if (!policies.injection().screens()) {
        return Uni.createFrom().item(new Screening(moderated, Optional.empty()));
      }
      Verdict injection =
          done.injection() != null ? done.injection() : heuristicVerdict(input.untrusted());
      Guardrails screened = moderated.withInjection(injection);
      if (blocks(policies.injection(), injection, ScreensConfig.OnOutage.OPEN)) {
        return blocked(screened, INJECTION, injection);
      }
      return Uni.createFrom().item(new Screening(screened, Optional.empty()));
    });
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

  private Verdict heuristicVerdict(List<String> texts) {
    Timer.Sample sample = Timer.start(metrics);
    Verdict verdict = heuristics.judge(texts);
    sample.stop(metrics.timer("llmq.guardrails.duration", "check", INJECTION));
    return counted(INJECTION, verdict);
  }

  private Uni<Verdict> timed(String check, Uni<Verdict> verdict) {
    return Uni.createFrom()
        .deferred(() -> {
          Timer.Sample sample = Timer.start(metrics);
          return verdict.eventually(
              () -> sample.stop(metrics.timer("llmq.guardrails.duration", "check", check)));
        });
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
                + " (llmq.guardrails.moderation.on-outage=closed); no model was called."
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
