package io.llmq.worker.webhook;

import io.llmq.common.job.JobRow;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Webhook deliveries in PostgreSQL: due ones are leased with {@code FOR UPDATE SKIP LOCKED} by
 * pushing their due time past the attempt (so replicas never send one twice at once, and a sender
 * that dies mid-attempt leaves the delivery due again when its lease runs out); each attempt's
 * outcome and the next due time are written in one statement with its log row. A job's delivery
 * waits until the job's end is announced, which fixes its {@code webhook-id}; a delivery of no job
 * (a budget alert) carries its id and body from the start.
 */
@ApplicationScoped
class DeliveryStore {

  private static final String LEASE =
      "UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $1)"
          + " WHERE id IN (SELECT d.id FROM webhook_deliveries d LEFT JOIN jobs j ON j.id = d.job_id"
          + " WHERE d.state = 'pending' AND d.next_attempt_at <= now()"
          + " AND (d.job_id IS NULL OR j.terminal_event_id IS NOT NULL)"
          + " ORDER BY d.next_attempt_at LIMIT $2::int FOR UPDATE OF d SKIP LOCKED)"
          + " RETURNING id, job_id, tenant_id, url, attempts, payload, message_id";
  private static final String SECRET = "SELECT webhook_secret FROM tenants WHERE id = $1";
  private static final String JOB =
      "SELECT "
          + JobRow.COLUMNS
          + ", (SELECT t.webhook_secret FROM tenants t WHERE t.id = jobs.tenant_id) AS secret,"
          + " trace_context"
          + " FROM jobs WHERE id = $1";
  private static final String RECORD =
      "WITH d AS (UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1,"
          + " next_attempt_at = now() + make_interval(secs => $3), payload = coalesce(payload, $4)"
          + " WHERE id = $1 RETURNING id, job_id)"
          + " INSERT INTO webhook_attempts"
          + " (delivery_id, job_id, attempted_at, status_code, latency_ms, error)"
          + " SELECT id, job_id, $5, $6, $7, $8 FROM d";

  private final Pool pool;

  DeliveryStore(Pool pool) {
    this.pool = pool;
  }

  /** Leases up to {@code limit} due deliveries for {@code lease}. */
  Uni<List<Delivery>> lease(int limit, Duration lease) {
    return pool.preparedQuery(LEASE)
        .execute(Tuple.of(lease.toMillis() / 1000.0, limit))
        .onItem()
        .transformToMulti(rows -> Multi.createFrom().iterable(rows))
        .onItem()
        .transformToUniAndMerge(this::complete)
        .select()
        .where(Optional::isPresent)
        .map(Optional::get)
        .collect()
        .asList();
  }

  /** Adds the job's side: the webhook-id, the body (rendered on the first attempt), the secret. */
  private Uni<Optional<Delivery>> complete(Row leased) {
    UUID jobId = leased.getUUID("job_id");
    if (jobId == null) {
      return alert(leased);
    }
    return pool.preparedQuery(JOB)
        .execute(Tuple.of(jobId))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          JobRow job = JobRow.from(row);
          String body = leased.getString("payload");
          if (body == null) {
            body = WebhookBody.of(job.view());
          }
          return Optional.of(
              new Delivery(
                  leased.getLong("id"),
                  jobId,
                  leased.getUUID("tenant_id"),
                  leased.getString("url"),
                  leased.getInteger("attempts"),
                  jobId + "." + job.terminalEventId(),
                  body,
                  row.getString("secret"),
                  row.getString("trace_context")));
        });
  }

  /** A delivery of no job: its id and body were written with it; the secret is the tenant's now. */
  private Uni<Optional<Delivery>> alert(Row leased) {
    return pool.preparedQuery(SECRET)
        .execute(Tuple.of(leased.getUUID("tenant_id")))
        .map(rows ->
            rows.size() == 0
                ? Optional.empty()
                : Optional.of(
                    new Delivery(
                        leased.getLong("id"),
                        null,
                        leased.getUUID("tenant_id"),
                        leased.getString("url"),
                        leased.getInteger("attempts"),
                        leased.getString("message_id"),
                        leased.getString("payload"),
                        rows.iterator().next().getString("webhook_secret"),
                        null)));
  }

  /**
   * Records an attempt and what follows: {@code next} is the wait before the next attempt, empty
   * when the delivery succeeded or is given up.
   */
  Uni<Void> record(
      Delivery delivery,
      OffsetDateTime at,
      Integer statusCode,
      long latencyMillis,
      String error,
      boolean succeeded,
      Optional<Duration> next) {
    String state = succeeded ? "succeeded" : next.isPresent() ? "pending" : "failed";
    double wait = next.map(d -> d.toMillis() / 1000.0).orElse(0.0);
    Tuple values =
        Tuple.of(delivery.id(), state, wait, delivery.body())
            .addOffsetDateTime(at.withOffsetSameInstant(ZoneOffset.UTC))
            .addInteger(statusCode)
            .addInteger((int) Math.min(Integer.MAX_VALUE, latencyMillis))
            .addString(error);
    return pool.preparedQuery(RECORD).execute(values).replaceWithVoid();
  }
}
