package io.llmq.api.tenant;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * A customer of llmq: its limits, guardrail policies, webhook secret and budget alert target.
 * Absent limits mean no limit; the share weight is never absent (1 by default).
 */
@Entity
@Table(name = "tenants")
public class Tenant extends PanacheEntityBase {

  /** The share weight of a tenant the admin gave none, and of one whose weight was removed. */
  public static final double DEFAULT_SHARE_WEIGHT = 1;

  @Id public UUID id;

  public String name;

  @Column(name = "requests_per_minute")
  public Integer requestsPerMinute;

  @Column(name = "tokens_per_minute")
  public Integer tokensPerMinute;

  @Column(name = "max_concurrent_jobs")
  public Integer maxConcurrentJobs;

  @Column(name = "monthly_budget_usd")
  public BigDecimal monthlyBudgetUsd;

  /**
   * The tenant's weight in fair share (SPEC §3): never absent, {@link #DEFAULT_SHARE_WEIGHT} unless
   * the admin set another.
   */
  @Column(name = "share_weight")
  public double shareWeight = DEFAULT_SHARE_WEIGHT;

  /** The moderation screen's policy (SPEC §2 Auth {@code policies}): off, flag or block. */
  public String moderation = "off";

  /** The prompt-injection screen's policy: off, flag or block. */
  public String injection = "off";

  /** Whether the tenant's jobs may fall back to other models: on or off. */
  public String fallbacks = "on";

  /** The injection screen's classifier model, one that costs nothing; {@code null} for none. */
  @Column(name = "injection_model")
  public String injectionModel;

  /** Where budget alerts go ({@code budget.threshold} webhooks); {@code null} for nowhere. */
  @Column(name = "alert_webhook_url")
  public String alertWebhookUrl;

  @Column(name = "webhook_secret")
  public String webhookSecret;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  @Version public int version;
}
