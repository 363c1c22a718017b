package io.llmq.worker.guardrails;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of the input screens, two mapping roots ({@code llmq.guardrails.moderation.*}, {@code
 * llmq.guardrails.injection.*}) so that other {@code llmq.guardrails.*} keys (such as {@code
 * max-repairs}) stay outside them: which checker moderates, what an outage of it means, and where
 * the injection heuristics draw the line, and how long a classifier model may take. Whether a
 * tenant's jobs are screened at all is the tenant's policy ({@code policies.moderation}, {@code
 * policies.injection}), not a setting.
 */
public interface ScreensConfig {

  /** What a screen whose checker cannot answer does to a job whose tenant's policy is block. */
  enum OnOutage {
    /** The verdict is recorded as unavailable and the job goes on unscreened. */
    OPEN,
    /** The job fails {@code content_blocked}, saying the check was unavailable. */
    CLOSED
  }

  /** Settings of the moderation screen. */
  @ConfigMapping(prefix = "llmq.guardrails.moderation")
  interface Moderation {

    /**
     * The provider ({@code llmq.providers."<name>"}, of kind {@code openai}) whose {@code POST
     * /moderations} endpoint moderates input ({@code LLMQ_GUARDRAILS_MODERATION_PROVIDER}). Absent
     * (the default), or naming a provider that is not configured (no key), the worker's local rules
     * moderate ({@link LocalModerationRules}).
     */
    Optional<String> provider();

    /** The moderation model asked for. Default {@code omni-moderation-latest}. */
    @WithDefault("omni-moderation-latest")
    String model();

    /**
     * Longest wait for the moderation endpoint's answer; a later answer is an outage. Default
     * {@code 5s}.
     */
    @WithDefault("5s")
    Duration timeout();

    /**
     * What a moderation outage (no answer in time, a connection error, a non-2xx answer, a body
     * that is not a moderation result) does under a tenant's {@code block} policy ({@code
     * LLMQ_GUARDRAILS_MODERATION_ON_OUTAGE}): {@code open} records the verdict as unavailable and
     * runs the job; {@code closed} fails it {@code content_blocked}. Under {@code flag} an outage
     * is always recorded and the job goes on. Default {@code open}.
     */
    @WithDefault("open")
    OnOutage onOutage();
  }

  /** Settings of the prompt-injection screen ({@link InjectionHeuristics}). */
  @ConfigMapping(prefix = "llmq.guardrails.injection")
  interface Injection {

    /**
     * The score (0 to 1) from which a family the heuristics found flags the input. Default {@code
     * 0.5}.
     */
    @WithDefault("0.5")
    double flagScore();

    /**
     * Longest wait for the answer of a tenant's classifier model ({@code
     * policies.injection_model}); a later answer is an outage. Default {@code 10s}.
     */
    @WithDefault("10s")
    Duration classifierTimeout();

    /**
     * What a classifier outage (no answer in time, a failed call, an answer that is neither {@code
     * INJECTION} nor {@code SAFE}, a model that is no longer configured or costs money) does under
     * a tenant's {@code block} policy ({@code LLMQ_GUARDRAILS_INJECTION_ON_OUTAGE}): {@code open}
     * keeps the heuristics' verdict, recorded with the checker {@code
     * unavailable:classifier:<model>}, and runs the job; {@code closed} fails it {@code
     * content_blocked}. Under {@code flag} the job always goes on. Default {@code open}.
     */
    @WithDefault("open")
    OnOutage onOutage();
  }
}
