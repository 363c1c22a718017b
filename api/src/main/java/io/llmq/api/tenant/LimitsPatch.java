package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.problem.Fields;
import io.llmq.api.problem.ProblemException;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code limits} object of a tenant or key request, read with JSON merge-patch meaning (RFC
 * 7396): a field that is present sets the limit, {@code null} removes it, an absent field leaves it
 * as it was; {@code "limits": null} removes every limit. A tenant's {@code share_weight} is a
 * weight, not a limit, and never absent: removing it puts it back to {@link
 * Tenant#DEFAULT_SHARE_WEIGHT}. Every value is checked when the body is read, so a bad one is a 400
 * naming the field before anything is written.
 */
final class LimitsPatch {

  static final String RPM = "requests_per_minute";
  static final String TPM = "tokens_per_minute";
  static final String CONCURRENT = "max_concurrent_jobs";
  static final String BUDGET = "monthly_budget_usd";
  static final String SHARE_WEIGHT = "share_weight";

  private static final String PATH = "limits";
  private static final Set<String> TENANT_FIELDS =
      Set.of(RPM, TPM, CONCURRENT, BUDGET, SHARE_WEIGHT);
  private static final Set<String> KEY_FIELDS = Set.of(RPM, BUDGET);
  private static final long MAX_RATE = 1_000_000_000L;
  private static final BigDecimal MAX_BUDGET = new BigDecimal("1000000000");

  /**
   * Bounds of a share weight, as the V7 {@code CHECK} has them: at most 100,000 between two
   * tenants, and no weight so small that its share rounds to nothing.
   */
  private static final BigDecimal MIN_WEIGHT = new BigDecimal("0.01");

  private static final BigDecimal MAX_WEIGHT = new BigDecimal("1000");

  /** The budget columns are {@code numeric(18, 6)}: a finer amount would be rounded silently. */
  private static final int BUDGET_SCALE = 6;

  private static final LimitsPatch NONE = new LimitsPatch(Map.of(), false);

  /** The fields given, with their values ({@code null} to remove the limit). */
  private final Map<String, Object> values;

  private final boolean clearsAll;

  private LimitsPatch(Map<String, Object> values, boolean clearsAll) {
    this.values = values;
    this.clearsAll = clearsAll;
  }

  /** A tenant's {@code limits}: all four limits and its share weight. */
  static LimitsPatch ofTenant(JsonNode body) {
    return read(body, TENANT_FIELDS);
  }

  /** A key's {@code limits}: its own rate limit and budget, on top of its tenant's. */
  static LimitsPatch ofKey(JsonNode body) {
    return read(body, KEY_FIELDS);
  }

  private static LimitsPatch read(JsonNode body, Set<String> allowed) {
    if (!body.has(PATH)) {
      return NONE;
    }
    JsonNode limits = body.get(PATH);
    if (limits.isNull()) {
      return new LimitsPatch(Map.of(), true);
    }
    Fields.object(limits, PATH);
    Fields.onlyKnown(limits, PATH, allowed);
    Map<String, Object> values = new HashMap<>();
    for (String field : allowed) {
      if (limits.has(field)) {
        values.put(field, value(limits, field));
      }
    }
    return new LimitsPatch(values, false);
  }

  private static Object value(JsonNode limits, String field) {
    return switch (field) {
      case BUDGET -> budget(limits);
      case SHARE_WEIGHT -> weight(limits);
      default -> rate(limits, field);
    };
  }

  private static Integer rate(JsonNode limits, String field) {
    Long value = Fields.integer(limits, PATH, field, 1, MAX_RATE);
    return value == null ? null : Math.toIntExact(value);
  }

  private static BigDecimal budget(JsonNode limits) {
    BigDecimal value = Fields.number(limits, PATH, BUDGET, BigDecimal.ZERO, MAX_BUDGET);
    if (value == null) {
      return null;
    }
    BigDecimal exact = value.stripTrailingZeros();
    if (exact.scale() > BUDGET_SCALE) {
      throw ProblemException.invalid(
          "'" + Fields.join(PATH, BUDGET) + "' may have at most 6 decimal places.");
    }
    return exact.scale() < 0 ? exact.setScale(0) : exact;
  }

  /**
   * A weight within bounds, as the {@code double} it is stored as. Any decimal spelling is taken
   * ({@code 2}, {@code 2.0}, {@code 0.5}, {@code 1e2}); the closest double is what the scheduler
   * divides by, so no scale is enforced.
   */
  private static Double weight(JsonNode limits) {
    BigDecimal value = Fields.number(limits, PATH, SHARE_WEIGHT, MIN_WEIGHT, MAX_WEIGHT);
    return value == null ? null : value.doubleValue();
  }

  void applyTo(Tenant tenant) {
    tenant.requestsPerMinute = (Integer) next(RPM, tenant.requestsPerMinute);
    tenant.tokensPerMinute = (Integer) next(TPM, tenant.tokensPerMinute);
    tenant.maxConcurrentJobs = (Integer) next(CONCURRENT, tenant.maxConcurrentJobs);
    tenant.monthlyBudgetUsd = (BigDecimal) next(BUDGET, tenant.monthlyBudgetUsd);
    Double weight = (Double) next(SHARE_WEIGHT, tenant.shareWeight);
    tenant.shareWeight = weight == null ? Tenant.DEFAULT_SHARE_WEIGHT : weight;
  }

  void applyTo(ApiKey key) {
    key.requestsPerMinute = (Integer) next(RPM, key.requestsPerMinute);
    key.monthlyBudgetUsd = (BigDecimal) next(BUDGET, key.monthlyBudgetUsd);
  }

  private Object next(String field, Object current) {
    if (clearsAll) {
      return null;
    }
    return values.containsKey(field) ? values.get(field) : current;
  }
}
