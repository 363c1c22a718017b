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
 * A customer of llmq: its limits, webhook secret and budget alert target. Absent limits mean no
 * limit.
 */
@Entity
@Table(name = "tenants")
public class Tenant extends PanacheEntityBase {

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
