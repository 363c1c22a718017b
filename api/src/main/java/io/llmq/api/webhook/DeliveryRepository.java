package io.llmq.api.webhook;

import io.llmq.api.problem.ProblemException;
import io.llmq.common.job.JobRow;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A job's webhook deliveries and their attempts, read and redelivered for its tenant. */
@ApplicationScoped
class DeliveryRepository {

  private static final int MAX_ATTEMPTS_LISTED = 1000;
  private static final String JOB =
      "SELECT " + JobRow.COLUMNS + " FROM jobs WHERE id = $1 AND tenant_id = $2";
  private static final String DELIVERIES =
      "SELECT id, state, next_attempt_at, redelivery FROM webhook_deliveries WHERE job_id = $1"
          + " ORDER BY id";
  private static final String ATTEMPTS =
      "SELECT delivery_id, attempted_at, status_code, latency_ms, error FROM webhook_attempts"
          + " WHERE job_id = $1 ORDER BY id LIMIT $2::int";
  private static final String DUE_NOW =
      "UPDATE webhook_deliveries SET next_attempt_at = now()"
          + " WHERE job_id = $1 AND state = 'pending' AND next_attempt_at > now()";
  private static final String HAS_PENDING =
      "SELECT 1 FROM webhook_deliveries WHERE job_id = $1 AND state = 'pending'";
  private static final String REDELIVER =
      "INSERT INTO webhook_deliveries (job_id, tenant_id, url, next_attempt_at, redelivery, payload)"
          + " SELECT id, tenant_id, webhook_url, now(), true, (SELECT payload FROM"
          + " webhook_deliveries WHERE job_id = $1 AND payload IS NOT NULL ORDER BY id LIMIT 1)"
          + " FROM jobs WHERE id = $1";

  private final Pool pool;

  DeliveryRepository(Pool pool) {
    this.pool = pool;
  }

  /** The job's webhook and its attempts; 404 when the tenant has no such job. */
  Uni<DeliveriesResponse> list(UUID tenantId, UUID jobId) {
    return job(tenantId, jobId).chain(this::describe);
  }

  /**
   * Sends the job's webhook again: a pending delivery (waiting for its next retry) is tried now;
   * otherwise a new delivery of the same message (same id, same body) is added.
   */
  Uni<DeliveriesResponse> redeliver(UUID tenantId, UUID jobId) {
    return job(tenantId, jobId)
        .chain(job -> {
          if (job.webhookUrl() == null) {
            throw ProblemException.conflict("The job has no webhook_url.");
          }
          if (!job.isTerminal()) {
            throw ProblemException.conflict(
                "The job has not ended yet; its webhook is sent when it does.");
          }
          return pool.withTransaction(tx ->
                  tx.preparedQuery(HAS_PENDING)
                      .execute(Tuple.of(jobId))
                      .chain(pending ->
                          tx.preparedQuery(pending.size() > 0 ? DUE_NOW : REDELIVER)
                              .execute(Tuple.of(jobId))))
              .chain(() -> describe(job));
        });
  }

  private Uni<JobRow> job(UUID tenantId, UUID jobId) {
    return pool.preparedQuery(JOB)
        .execute(Tuple.of(jobId, tenantId))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ProblemException.notFound("No job with this id.");
          }
          return JobRow.from(rows.iterator().next());
        });
  }

  private Uni<DeliveriesResponse> describe(JobRow job) {
    UUID jobId = job.id();
    Integer terminal = job.terminalEventId();
    String webhookId = terminal == null ? null : jobId + "." + terminal;
    return pool.preparedQuery(DELIVERIES)
        .execute(Tuple.of(jobId))
        .chain(deliveries ->
            pool.preparedQuery(ATTEMPTS)
                .execute(Tuple.of(jobId, MAX_ATTEMPTS_LISTED))
                .map(attempts -> {
                  Map<Long, Boolean> redelivery = new HashMap<>();
                  Row latest = null;
                  for (Row delivery : deliveries) {
                    redelivery.put(delivery.getLong("id"), delivery.getBoolean("redelivery"));
                    latest = delivery;
                  }
                  List<DeliveriesResponse.Attempt> listed = new ArrayList<>();
                  for (Row attempt : attempts) {
                    Integer code = attempt.getInteger("status_code");
                    listed.add(
                        new DeliveriesResponse.Attempt(
                            instant(attempt.getOffsetDateTime("attempted_at")),
                            code,
                            attempt.getInteger("latency_ms"),
                            attempt.getString("error"),
                            code != null && code >= 200 && code < 300,
                            redelivery.getOrDefault(attempt.getLong("delivery_id"), false)));
                  }
                  String status = latest == null ? null : latest.getString("state");
                  Instant next =
                      latest != null && "pending".equals(status)
                          ? instant(latest.getOffsetDateTime("next_attempt_at"))
                          : null;
                  return new DeliveriesResponse(job.webhookUrl(), webhookId, status, next, listed);
                }));
  }

  private static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }
}
