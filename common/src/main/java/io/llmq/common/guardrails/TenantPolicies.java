package io.llmq.common.guardrails;

/**
 * A tenant's guardrail policies, as the admin set them (SPEC §2 Auth {@code policies}); a job is
 * run under its tenant's policies as they are when a worker reads the job.
 *
 * @param moderation the moderation screen's policy
 * @param injection the prompt-injection screen's policy
 * @param fallbacks whether the tenant's jobs may be served by a model of their model's fallback
 *     chain; {@code false} pins every job to the model it asked for
 * @param injectionModel the model (of {@code llmq.models}) the injection screen asks after the
 *     heuristics found nothing ({@link ClassifierModels}); {@code null} for none
 */
public record TenantPolicies(
    Policy moderation, Policy injection, boolean fallbacks, String injectionModel) {

  /** The policies of a tenant the admin gave none: no screens, fallbacks allowed. */
  public static final TenantPolicies DEFAULT =
      new TenantPolicies(Policy.OFF, Policy.OFF, true, null);

  /** Policies without an injection classifier. */
  public TenantPolicies(Policy moderation, Policy injection, boolean fallbacks) {
    this(moderation, injection, fallbacks, null);
  }

  /** Reads the V9 columns' text values ({@code tenants.moderation, injection, fallbacks}). */
  public static TenantPolicies of(String moderation, String injection, String fallbacks) {
    return of(moderation, injection, fallbacks, null);
  }

  /** Reads the V9 columns' and V12's {@code tenants.injection_model} values. */
  public static TenantPolicies of(
      String moderation, String injection, String fallbacks, String injectionModel) {
    return new TenantPolicies(
        Policy.fromWire(moderation).orElse(Policy.OFF),
        Policy.fromWire(injection).orElse(Policy.OFF),
        !"off".equals(fallbacks),
        injectionModel);
  }
}
