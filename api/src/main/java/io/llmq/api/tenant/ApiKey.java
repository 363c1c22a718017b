package io.llmq.api.tenant;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** A tenant's API key, as stored: the hash and a short prefix, never the key. */
@Entity
@Table(name = "api_keys")
public class ApiKey extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "tenant_id")
  public UUID tenantId;

  public String name;

  public String prefix;

  @Column(name = "key_hash")
  public String keyHash;

  /** Space-separated scopes. */
  public String scopes;

  /** The key's own submit rate limit, on top of its tenant's; {@code null} for none. */
  @Column(name = "requests_per_minute")
  public Integer requestsPerMinute;

  /** The key's own monthly budget, on top of its tenant's; {@code null} for none. */
  @Column(name = "monthly_budget_usd")
  public BigDecimal monthlyBudgetUsd;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "revoked_at")
  public Instant revokedAt;
}
