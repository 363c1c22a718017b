package io.llmq.worker.budget;

import io.llmq.common.failure.Outages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Settles upstream attempts in the usage ledger ({@code llmq_settle_call}, V5): the attempt's row
 * gets what the provider billed, the job's {@code cost_usd} and the month's budget rows grow by it
 * and the attempt's reservation is released, in one transaction; crossing a budget threshold queues
 * the tenant's {@code budget.threshold} webhook in the same transaction. A settle is idempotent, so
 * it is retried through a database outage. Counts tokens and cost in Prometheus, by tenant (unless
 * {@code llmq.metrics.tenant-label=false}) and model, and keeps gauges of each tenant's remaining
 * budget ({@code llmq_budget_remaining_usd}) and of the share of its monthly budget used ({@code
 * llmq_budget_used_ratio}: spent plus reserved by calls in flight, over the budget; 1 is all of
 * it), both read from the settle's own answer, with no query of their own.
 */
@ApplicationScoped
public class AttemptLedger {

  private static final String SETTLE =
      "SELECT s.tenant_id, s.crossed::text AS crossed, s.remaining, t.monthly_budget_usd AS budget"
          + " FROM llmq_settle_call($1, $2, $3, $4, $5, $6, $7::text::numeric, $8, $9, $10,"
          + " $11::text::numeric[]) s LEFT JOIN tenants t ON t.id = s.tenant_id";
  private static final String SETTLE_LOST =
      "SELECT job_id, attempt FROM llmq_settle_lost($1, $2::text::numeric[])";
  private static final Duration OUTAGE_PATIENCE = Duration.ofMinutes(5);

  /** What an attempt used, as the provider billed it. */
  public record Usage(
      int promptTokens, int cachedTokens, int cacheWriteTokens, int completionTokens) {
    public static final Usage NONE = new Usage(0, 0, 0, 0);
  }

  private final Pool pool;
  private final BudgetClock clock;
  private final MeterRegistry metrics;
  private final boolean tenantLabel;
  private final String thresholds;
  private final Map<UUID, AtomicReference<Double>> remaining = new ConcurrentHashMap<>();
  private final Map<UUID, AtomicReference<Double>> usedRatio = new ConcurrentHashMap<>();

  AttemptLedger(
      Pool pool,
      BudgetClock clock,
      MeterRegistry metrics,
      @ConfigProperty(name = "llmq.metrics.tenant-label", defaultValue = "true")
          boolean tenantLabel,
      @ConfigProperty(name = "llmq.budgets.alert-thresholds", defaultValue = "0.5,0.8,1.0")
          List<BigDecimal> thresholds) {
    this.pool = pool;
    this.clock = clock;
    this.metrics = metrics;
    this.tenantLabel = tenantLabel;
    for (BigDecimal threshold : thresholds) {
      if (threshold.signum() <= 0 || threshold.compareTo(BigDecimal.ONE) > 0) {
        throw new IllegalStateException(
            "llmq.budgets.alert-thresholds must be fractions of the budget in (0, 1]: "
                + threshold);
      }
    }
    this.thresholds =
        thresholds.stream()
            .map(BigDecimal::toPlainString)
            .collect(Collectors.joining(",", "{", "}"));
  }

  /**
   * Settles the call attempt {@code attempt} of {@code jobId}: {@code cost} is what the provider
   * billed for {@code usage} ({@code model} is llmq's name, for the metrics). A second settle of
   * the same attempt changes nothing.
   *
   * @param outcome succeeded, failed or cancelled
   * @param errorCode the failure code of a failed attempt, else {@code null}
   */
  public Uni<Void> settle(
      UUID jobId,
      int attempt,
      String model,
      Usage usage,
      BigDecimal cost,
      String outcome,
      String errorCode) {
    Tuple values =
        Tuple.of(jobId, attempt, usage.promptTokens(), usage.cachedTokens())
            .addInteger(usage.cacheWriteTokens())
            .addInteger(usage.completionTokens())
            .addString(cost.toPlainString())
            .addString(outcome)
            .addString(errorCode)
            .addOffsetDateTime(clock.now().atOffset(ZoneOffset.UTC))
            .addString(thresholds);
    return Outages.patiently(pool.preparedQuery(SETTLE).execute(values), OUTAGE_PATIENCE)
        .invoke(rows -> rows.forEach(row -> counted(row, model, usage, cost)))
        .replaceWithVoid();
  }

  /**
   * Settles, at their worst case, open attempts that no live worker runs any more (see {@code
   * llmq_settle_lost}); {@code grace} leaves the normal end of an attempt time to settle it first.
   */
  public Uni<Integer> settleLost(Duration grace) {
    return pool.preparedQuery(SETTLE_LOST)
        .execute(Tuple.of(grace.toMillis() / 1000.0, thresholds))
        .invoke(rows ->
            rows.forEach(row ->
                Log.warnf(
                    "Job(id=%s) attempt %d was lost with its worker; counted at its worst case",
                    row.getUUID("job_id"), row.getInteger("attempt"))))
        .map(rows -> rows.rowCount());
  }

  private void counted(Row row, String model, Usage usage, BigDecimal cost) {
    UUID tenant = row.getUUID("tenant_id");
    Tags tags =
        tenantLabel
            ? Tags.of("tenant", tenant.toString(), "model", model)
            : Tags.of("model", model);
    count("prompt", tags, usage.promptTokens());
    count("cached", tags, usage.cachedTokens());
    count("completion", tags, usage.completionTokens());
    Counter.builder("llmq.cost")
        .baseUnit("usd")
        .tags(tags)
        .register(metrics)
        .increment(cost.doubleValue());
    String crossed = row.getString("crossed");
    if (crossed != null && !"{}".equals(crossed)) {
      Log.infof("Tenant %s crossed budget thresholds %s; alerts queued", tenant, crossed);
    }
    BigDecimal left = row.getBigDecimal("remaining");
    if (tenantLabel && left != null) {
      remaining
          .computeIfAbsent(
              tenant,
              id -> {
                AtomicReference<Double> value = new AtomicReference<>(0.0);
                Gauge.builder("llmq.budget.remaining", value, AtomicReference::get)
                    .baseUnit("usd")
                    .tag("tenant", id.toString())
                    .register(metrics);
                return value;
              })
          .set(left.doubleValue());
      BigDecimal budget = row.getBigDecimal("budget");
      if (budget != null && budget.signum() > 0) {
        usedRatio
            .computeIfAbsent(tenant, id -> gauge("llmq.budget.used.ratio", null, id))
            .set(budget.subtract(left).doubleValue() / budget.doubleValue());
      }
    }
  }

  private AtomicReference<Double> gauge(String name, String unit, UUID tenant) {
    AtomicReference<Double> value = new AtomicReference<>(0.0);
    Gauge.builder(name, value, AtomicReference::get)
        .baseUnit(unit)
        .tag("tenant", tenant.toString())
        .register(metrics);
    return value;
  }

  private void count(String type, Tags tags, int tokens) {
    if (tokens > 0) {
      Counter.builder("llmq.tokens")
          .tags(tags.and("type", type))
          .register(metrics)
          .increment(tokens);
    }
  }
}
