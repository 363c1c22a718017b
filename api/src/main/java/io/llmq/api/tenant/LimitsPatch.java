package io.llmq.api.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.problem.Fields;
import java.math.BigDecimal;
import java.util.Set;

/**
 * The {@code limits} object of a tenant request, read with merge-patch meaning: a field that is
 * present sets the limit ({@code null} removes it), a field that is absent leaves it as it was.
 */
record LimitsPatch(JsonNode node) {

  private static final String PATH = "limits";
  private static final Set<String> FIELDS =
      Set.of(
          "requests_per_minute", "tokens_per_minute", "max_concurrent_jobs", "monthly_budget_usd");
  private static final long MAX_RATE = 1_000_000_000L;
  private static final BigDecimal MAX_BUDGET = new BigDecimal("1000000000");

  static LimitsPatch read(JsonNode body) {
    JsonNode limits = body.get(PATH);
    if (limits == null || limits.isNull()) {
      return new LimitsPatch(null);
    }
    Fields.object(limits, PATH);
    Fields.onlyKnown(limits, PATH, FIELDS);
    // Read every field once now, so a bad value is a 400 before anything is written.
    Fields.integer(limits, PATH, "requests_per_minute", 1, MAX_RATE);
    Fields.integer(limits, PATH, "tokens_per_minute", 1, MAX_RATE);
    Fields.integer(limits, PATH, "max_concurrent_jobs", 1, MAX_RATE);
    Fields.number(limits, PATH, "monthly_budget_usd", BigDecimal.ZERO, MAX_BUDGET);
    return new LimitsPatch(limits);
  }

  void applyTo(Tenant tenant) {
    if (node == null) {
      return;
    }
    if (node.has("requests_per_minute")) {
      tenant.requestsPerMinute = intOrNull("requests_per_minute");
    }
    if (node.has("tokens_per_minute")) {
      tenant.tokensPerMinute = intOrNull("tokens_per_minute");
    }
    if (node.has("max_concurrent_jobs")) {
      tenant.maxConcurrentJobs = intOrNull("max_concurrent_jobs");
    }
    if (node.has("monthly_budget_usd")) {
      tenant.monthlyBudgetUsd =
          Fields.number(node, PATH, "monthly_budget_usd", BigDecimal.ZERO, MAX_BUDGET);
    }
  }

  private Integer intOrNull(String field) {
    Long value = Fields.integer(node, PATH, field, 1, MAX_RATE);
    return value == null ? null : Math.toIntExact(value);
  }
}
