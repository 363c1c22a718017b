package io.llmq.worker.cancel;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.common.job.JobStatus;
import io.llmq.common.pricing.ModelCatalog;
import io.llmq.common.request.TokenEstimator;
import io.llmq.worker.budget.AttemptLedger;
import io.llmq.worker.events.JobProgress;
import io.llmq.worker.governor.CallCapacity.Admission;
import io.llmq.worker.governor.Governor;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.util.UUID;

/**
 * Accounts a provider call that was aborted because its job was cancelled or taken back (SPEC §2
 * cancel: "tokens used so far are accounted"). The provider had read the whole prompt and produced
 * some output before the connection was reset, so the attempt is settled in the usage ledger at its
 * prompt (the governor's estimate) and the completion tokens streamed so far, at the model's prices
 * (nothing for the built-in simulator); the governor's reservation is settled with the same
 * figures, and a cancelled job shows that usage. Only then is the job's end announced, so its
 * {@code done} event and webhook carry the final usage.
 */
@ApplicationScoped
public class AbortedCalls {

  /**
   * Only the cancel's own version (one past the claim) shows the usage: a job the reaper took back
   * and re-queued is not cancelled, and another run will show its own.
   */
  private static final String SHOW_USAGE =
      "UPDATE jobs SET prompt_tokens = $3, completion_tokens = $4, total_tokens = $3::int + $4::int,"
          + " cost_usd = coalesce(cost_usd, 0), version = version + 1"
          + " WHERE id = $1 AND version = $2 + 1 AND status = "
          + JobStatus.CANCELLED.sql();

  private final Pool pool;
  private final Governor governor;
  private final ModelCatalog models;
  private final AttemptLedger ledger;
  private final JobProgress progress;

  AbortedCalls(
      Pool pool,
      Governor governor,
      ModelCatalog models,
      AttemptLedger ledger,
      JobProgress progress) {
    this.pool = pool;
    this.governor = governor;
    this.models = models;
    this.ledger = ledger;
    this.progress = progress;
  }

  /**
   * A call that completed while its job was being cancelled (the result could no longer be
   * recorded, but the attempt was settled at the provider's usage before): the cancelled job shows
   * that usage, then its end is announced. Never fails.
   */
  public Uni<Void> completedAfterCancel(
      UUID jobId, int version, int promptTokens, int completionTokens) {
    return showUsage(jobId, version, promptTokens, completionTokens)
        .chain(() -> progress.endedNow(jobId))
        .replaceWithVoid()
        .onFailure()
        .recoverWithUni(failure -> {
          Log.warnf("Job(id=%s) cancelled call not accounted: %s", jobId, failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }

  private Uni<Void> showUsage(UUID jobId, int version, int prompt, int completionTokens) {
    return pool.preparedQuery(SHOW_USAGE)
        .execute(Tuple.of(jobId, version, prompt, completionTokens))
        .invoke(rows -> {
          if (rows.rowCount() == 1) {
            Log.infof(
                "Job(id=%s) cancelled mid-call; accounted %d prompt and %d completion tokens",
                jobId, prompt, completionTokens);
          }
        })
        .replaceWithVoid();
  }

  /**
   * Settles the aborted call of attempt {@code attempt}, claimed at {@code version}; never fails.
   *
   * @param model the job's model (for prices)
   * @param request the request as sent upstream
   * @param free whether the call was the built-in simulator's, which costs nothing
   */
  public Uni<Void> settle(
      UUID jobId,
      int version,
      int attempt,
      String model,
      JsonNode request,
      Admission admission,
      int completionTokens,
      boolean free) {
    int prompt =
        admission.promptEstimate() > 0
            ? (int) admission.promptEstimate()
            : TokenEstimator.promptTokens(request.path("model").asText(model), request);
    BigDecimal cost = free ? BigDecimal.ZERO : models.costOf(model, prompt, 0, 0, completionTokens);
    long providerCharge =
        admission.chargesMaxTokens() ? prompt + admission.maxTokens() : prompt + completionTokens;
    // The ledger and the job's row first: the end's announcement (here, or the sweep's after its
    // grace) must find the usage there.
    return ledger
        .settle(
            jobId,
            attempt,
            model,
            new AttemptLedger.Usage(prompt, 0, 0, completionTokens),
            cost,
            "aborted",
            null)
        .chain(() -> showUsage(jobId, version, prompt, completionTokens))
        .chain(() ->
            governor
                .settle(admission.reservation(), providerCharge, prompt + completionTokens)
                .onFailure()
                .recoverWithNull())
        .chain(() -> progress.endedNow(jobId))
        .replaceWithVoid()
        .onFailure()
        .recoverWithUni(failure -> {
          Log.warnf(
              "Job(id=%s) cancelled call not fully accounted: %s", jobId, failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }
}
