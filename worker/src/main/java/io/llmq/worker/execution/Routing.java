package io.llmq.worker.execution;

import io.llmq.worker.fallback.CircuitBreaker;

/**
 * Where a job's attempts go (SPEC §3 Fallbacks), as read with the job and as the router chose for
 * the attempt at hand.
 *
 * @param routeModel the model the job moved on to when its attempts ran out on the models before it
 *     in its chain (V11 {@code route_model}); {@code null}: its own
 * @param ownAttempts the job's {@code max_attempts}, which each model it moves on to gets afresh
 * @param servedModel {@code served_model} as read: a fallback's attempt names it while it runs
 * @param serving the model of this attempt, once chosen; {@code null} before
 * @param pass what the serving provider's circuit breaker said to the attempt; {@code null} before
 */
record Routing(
    String routeModel,
    int ownAttempts,
    String servedModel,
    String serving,
    CircuitBreaker.Pass pass) {

  /** The model this attempt goes to: the chosen one, else where the job's attempts go now. */
  String servingOr(String own) {
    return serving != null ? serving : routeModel != null ? routeModel : own;
  }

  Routing chosen(String model, CircuitBreaker.Pass breaker) {
    return new Routing(routeModel, ownAttempts, servedModel, model, breaker);
  }
}
