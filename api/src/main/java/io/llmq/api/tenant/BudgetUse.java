package io.llmq.api.tenant;

import java.math.BigDecimal;

/**
 * What a tenant spent in a month (settled calls) and holds reserved for calls still running, as the
 * budget check counts them.
 */
record BudgetUse(BigDecimal spentUsd, BigDecimal reservedUsd) {

  static final BudgetUse NONE = new BudgetUse(BigDecimal.ZERO, BigDecimal.ZERO);
}
