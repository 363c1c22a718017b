package io.llmq.api.budget;

import io.llmq.api.auth.Caller;
import io.llmq.api.problem.ErrorCode;
import io.llmq.api.problem.ProblemException;
import io.llmq.common.pricing.ModelCatalog;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The submit side of budgets (SPEC §3 Budgets): a caller under a monthly budget (its tenant's or
 * its key's) may submit only to a priced model (400 naming it otherwise: an unpriced model would
 * run unmetered), and gets 402 {@code budget_exceeded} once the month's spend plus what running
 * attempts hold reserved reaches the budget. This is the early answer; the bound itself is the
 * worker's reservation before every attempt, which no number of concurrent submits can get past.
 * Callers without a budget pay nothing for this check.
 */
@ApplicationScoped
public class BudgetGate {

  private static final String USED =
      "WITH m AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS month)"
          + " SELECT (SELECT u.spent_usd + u.reserved_usd FROM m, llmq_budget_use('tenant', $1,"
          + " m.month) u) AS tenant_used, (SELECT u.spent_usd + u.reserved_usd FROM m,"
          + " llmq_budget_use('key', $2, m.month) u) AS key_used";

  private final Pool pool;
  private final ModelCatalog models;
  private final MeterRegistry metrics;
  private final boolean tenantLabel;

  BudgetGate(
      Pool pool,
      ModelCatalog models,
      MeterRegistry metrics,
      @ConfigProperty(name = "llmq.metrics.tenant-label", defaultValue = "true")
          boolean tenantLabel) {
    this.pool = pool;
    this.models = models;
    this.metrics = metrics;
    this.tenantLabel = tenantLabel;
  }

  /** Passes when {@code caller} may submit a job for {@code model} now. */
  public Uni<Void> admit(Caller caller, String model) {
    if (!caller.budgeted()) {
      return Uni.createFrom().voidItem();
    }
    if (!models.priced(model)) {
      return Uni.createFrom()
          .failure(
              ProblemException.invalid(
                  "The model '"
                      + model
                      + "' has no price, so it cannot run under a monthly budget."));
    }
    return pool.preparedQuery(USED)
        .execute(Tuple.of(caller.tenantId(), caller.keyId()))
        .map(rows -> rows.iterator().next())
        .invoke(used -> {
          if (reached(caller.tenantBudgetUsd(), used, "tenant_used")) {
            throw refused(caller, "The tenant's monthly budget is used up.");
          }
          if (reached(caller.keyBudgetUsd(), used, "key_used")) {
            throw refused(caller, "This API key's monthly budget is used up.");
          }
        })
        .replaceWithVoid();
  }

  private static boolean reached(BigDecimal budget, Row used, String column) {
    return budget != null && used.getBigDecimal(column).compareTo(budget) >= 0;
  }

  private ProblemException refused(Caller caller, String detail) {
    Tags tags = Tags.of("reason", "budget_exceeded");
    if (tenantLabel) {
      tags = tags.and("tenant", caller.tenantId().toString());
    }
    metrics.counter("llmq.submits.refused", tags).increment();
    return new ProblemException(
        ErrorCode.BUDGET_EXCEEDED, detail + " It renews on the first of the month (UTC).");
  }
}
