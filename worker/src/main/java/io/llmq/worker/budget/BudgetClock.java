package io.llmq.worker.budget;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * The time budgets are kept by: an attempt spends the budget of the UTC calendar month it starts
 * in. A bean of its own so that tests can move it across a month's end.
 */
@ApplicationScoped
public class BudgetClock {

  public Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  /** The first day of the UTC month of {@code at}. */
  public static LocalDate monthOf(Instant at) {
    return LocalDate.ofInstant(at, ZoneOffset.UTC).withDayOfMonth(1);
  }
}
