package io.llmq.common.guardrails;

/**
 * A tenant's guardrail policies, as the admin set them (SPEC §2 Auth {@code policies}); a job is
 * run under its tenant's policies as they are when a worker reads the job.
 *
 * @param moderation the moderation screen's policy
 * @param injection the prompt-injection screen's policy
 * @param fallbacks whether the tenant's jobs may be served by a model of their model's fallback
 *     chain; {@code false} pins every job to the model it asked for
 */
public record TenantPolicies(Policy moderation, Policy injection, boolean fallbacks) {

  /** The policies of a tenant the admin gave none: no screens, fallbacks allowed. */
  public static final TenantPolicies DEFAULT = new TenantPolicies(Policy.OFF, Policy.OFF, true);

  /** Reads the V9 columns' text values ({@code tenants.moderation, injection, fallbacks}). */
  public static TenantPolicies of(String moderation, String injection, String fallbacks) {
    return new TenantPolicies(
        Policy.fromWire(moderation).orElse(Policy.OFF),
        Policy.fromWire(injection).orElse(Policy.OFF),
        !"off".equals(fallbacks));
  }
}
