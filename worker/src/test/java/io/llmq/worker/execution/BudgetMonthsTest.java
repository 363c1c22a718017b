package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.llmq.worker.budget.AttemptLedger;
import io.llmq.worker.budget.BudgetClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets are kept per UTC calendar month, in PostgreSQL: the month's end starts a fresh budget, a
 * reservation that does not fit is refused without a claim, and a month's row lost (or never made)
 * is rebuilt from the ledger. The clock is injected, so the month's end is a test's to choose.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class BudgetMonthsTest {

  private static final Instant LAST_SECOND_OF_JANUARY = Instant.parse("2027-01-31T23:59:59Z");
  private static final Instant FIRST_OF_FEBRUARY = Instant.parse("2027-02-01T00:00:00Z");

  /** A clock the test moves. */
  static class MovableClock extends BudgetClock {
    volatile Instant now = Instant.now();

    @Override
    public Instant now() {
      return now;
    }
  }

  private final TestJobs jobs = new TestJobs();
  private final MovableClock clock = new MovableClock();

  @Inject JobStore store;
  @Inject AttemptLedger ledger;
  @Inject ObjectMapper json;

  @BeforeEach
  void installClock() {
    QuarkusMock.installMockForType(clock, BudgetClock.class);
  }

  private UUID budgetedTenant(String budget) {
    UUID tenant = jobs.tenant();
    jobs.update(
        "UPDATE tenants SET monthly_budget_usd = " + budget + " WHERE id = '" + tenant + "'");
    return tenant;
  }

  private JobStore.ClaimAnswer claim(UUID job, String worst, Instant at) {
    StoredJob stored = store.load(job).await().atMost(Duration.ofSeconds(10)).orElseThrow();
    ObjectNode request = (ObjectNode) json.createObjectNode();
    return store
        .claimCall(
            stored,
            request,
            "test-worker",
            Duration.ofSeconds(30),
            "openai",
            new BigDecimal(worst),
            at)
        .await()
        .atMost(Duration.ofSeconds(10))
        .orElseThrow();
  }

  private Map<String, Object> month(UUID tenant, LocalDate month) {
    return jobs.rows(
            "SELECT spent_usd, reserved_usd FROM budget_months WHERE scope = 'tenant'"
                + " AND scope_id = '"
                + tenant
                + "' AND month = '"
                + month
                + "'")
        .get(0);
  }

  @Test
  void aMonthsSpendStaysInItsMonthAndTheNextMonthStartsAFreshBudget() {
    UUID tenant = budgetedTenant("1.0");
    UUID first = jobs.queued(tenant, "gpt-4o", "january", 3);
    UUID second = jobs.queued(tenant, "gpt-4o", "late january", 3);

    JobStore.ClaimAnswer january = claim(first, "0.6", LAST_SECOND_OF_JANUARY);
    assertTrue(january.claimed().isPresent());
    clock.now = LAST_SECOND_OF_JANUARY;
    ledger
        .settle(
            first,
            1,
            "gpt-4o",
            new AttemptLedger.Usage(100, 0, 0, 50),
            new BigDecimal("0.55"),
            "succeeded",
            null)
        .await()
        .atMost(Duration.ofSeconds(10));

    // 0.55 spent + 0.6 asked > 1.0: refused, and nothing about the job changed.
    JobStore.ClaimAnswer refused = claim(second, "0.6", LAST_SECOND_OF_JANUARY);
    assertEquals("tenant", refused.refusedBy());
    assertEquals("queued", jobs.status(second));
    assertEquals(0, jobs.rows("SELECT 1 FROM usage_ledger WHERE job_id = '" + second + "'").size());

    // A second later it is February: a fresh budget, and January keeps its spend.
    JobStore.ClaimAnswer february = claim(second, "0.6", FIRST_OF_FEBRUARY);
    assertTrue(february.claimed().isPresent());
    Map<String, Object> jan = month(tenant, LocalDate.parse("2027-01-01"));
    Map<String, Object> feb = month(tenant, LocalDate.parse("2027-02-01"));
    assertEquals(0, new BigDecimal("0.55").compareTo((BigDecimal) jan.get("spent_usd")));
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) jan.get("reserved_usd")));
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) feb.get("spent_usd")));
    assertEquals(0, new BigDecimal("0.6").compareTo((BigDecimal) feb.get("reserved_usd")));
    assertEquals(
        LocalDate.parse("2027-02-01"),
        ((java.sql.Date)
                jobs.rows("SELECT month FROM usage_ledger WHERE job_id = '" + second + "'")
                    .get(0)
                    .get("month"))
            .toLocalDate());
  }

  @Test
  void aLostBudgetRowIsRebuiltFromTheLedger() {
    UUID tenant = budgetedTenant("1.0");
    UUID first = jobs.queued(tenant, "gpt-4o", "spent", 3);
    claim(first, "0.5", LAST_SECOND_OF_JANUARY);
    ledger
        .settle(
            first,
            1,
            "gpt-4o",
            new AttemptLedger.Usage(10, 0, 0, 5),
            new BigDecimal("0.45"),
            "succeeded",
            null)
        .await()
        .atMost(Duration.ofSeconds(10));
    jobs.update("DELETE FROM budget_months WHERE scope_id = '" + tenant + "'");

    // The next reservation rebuilds the month from the ledger: 0.45 spent, so 0.6 does not fit.
    UUID second = jobs.queued(tenant, "gpt-4o", "after the loss", 3);
    assertEquals("tenant", claim(second, "0.6", LAST_SECOND_OF_JANUARY).refusedBy());
    assertEquals(
        0,
        new BigDecimal("0.45")
            .compareTo((BigDecimal) month(tenant, LocalDate.parse("2027-01-01")).get("spent_usd")));
  }

  @Test
  void aJobRunByTheWorkerIsCountedInTheMonthOfTheInjectedClock() {
    clock.now = LAST_SECOND_OF_JANUARY;
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "llmq-sim", "which month " + UUID.randomUUID(), 3);
    jobs.publish(job, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "succeeded".equals(jobs.status(job)));
    List<Map<String, Object>> rows =
        jobs.rows("SELECT month, started_at FROM usage_ledger WHERE job_id = '" + job + "'");
    assertEquals(
        LocalDate.parse("2027-01-01"), ((java.sql.Date) rows.get(0).get("month")).toLocalDate());
  }
}
