package io.llmq.worker.slots;

import io.llmq.common.failure.Outages;
import io.llmq.common.messaging.JobMessage;
import io.llmq.common.messaging.OutboxRelay;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;

/**
 * A tenant's {@code max_concurrent_jobs}, shared by every replica through PostgreSQL (the V5 slot
 * functions). A job takes a slot before it waits for the governor and keeps it until it leaves
 * {@code running}; the slot lapses with the job's lease, so a dead worker's slots free themselves.
 * A job that finds no free slot, or jobs of its tenant waiting before it, is parked: it stays
 * queued, its message is acknowledged (nothing spins through the queue, and the worker's capacity
 * stays free for other tenants), and when a slot frees, the oldest parked job is handed it together
 * with a new message, which is published here at once.
 */
@ApplicationScoped
public class TenantSlots {

  private static final String TAKE = "SELECT llmq_take_slot($1, $2, $3) AS answer";
  private static final String FREE =
      "SELECT job_id, tenant_id, outbox_id, (SELECT trace_context FROM jobs WHERE id = h.job_id)"
          + " AS trace_context FROM llmq_free_slot($1, $2) h";
  private static final String HAND_OVER =
      "SELECT job_id, tenant_id, outbox_id, (SELECT trace_context FROM jobs WHERE id = h.job_id)"
          + " AS trace_context FROM llmq_hand_over($1, $2) h";
  private static final String HAND_OVER_LAPSED =
      "SELECT job_id, tenant_id, outbox_id, (SELECT trace_context FROM jobs WHERE id = h.job_id)"
          + " AS trace_context FROM llmq_hand_over_lapsed($1) h";
  private static final Duration OUTAGE_PATIENCE = Duration.ofMinutes(5);

  private final Pool pool;
  private final OutboxRelay outbox;

  TenantSlots(Pool pool, OutboxRelay outbox) {
    this.pool = pool;
    this.outbox = outbox;
  }

  /**
   * Asks a slot of the tenant's {@code max} for the queued job {@code jobId}, to hold for {@code
   * hold} (the claim then renews it with the lease). True when the job holds one; false when it was
   * parked, or is no longer queued.
   */
  public Uni<Boolean> take(UUID jobId, int max, Duration hold) {
    return Outages.patiently(
            pool.preparedQuery(TAKE).execute(Tuple.of(jobId, max, seconds(hold))), OUTAGE_PATIENCE)
        .map(rows -> "held".equals(rows.iterator().next().getString("answer")));
  }

  /** The queued job gives its slot back without running; the next parked job gets it. */
  public Uni<Void> free(UUID jobId, Duration hold) {
    return publish(pool.preparedQuery(FREE).execute(Tuple.of(jobId, seconds(hold))));
  }

  /** A job of the tenant left its slot (it ended, or went back to the queue): hand it on. */
  public Uni<Void> handOver(UUID tenantId, Duration hold) {
    return publish(pool.preparedQuery(HAND_OVER).execute(Tuple.of(tenantId, seconds(hold))));
  }

  /** Hands slots that lapsed (a dead holder, a handed-over job that never came) to parked jobs. */
  public Uni<Void> handOverLapsed(Duration hold) {
    return publish(pool.preparedQuery(HAND_OVER_LAPSED).execute(Tuple.of(seconds(hold))));
  }

  /** Publishes the messages of the jobs handed a slot; the outbox sweep covers a failure. */
  private Uni<Void> publish(Uni<RowSet<Row>> handedOver) {
    return handedOver
        .onItem()
        .transformToMulti(rows -> Multi.createFrom().iterable(rows))
        .onItem()
        .transformToUniAndMerge(row -> {
          UUID job = row.getUUID("job_id");
          Log.debugf("Job(id=%s) handed a slot of its tenant", job);
          return outbox.relay(
              row.getLong("outbox_id"),
              JobMessage.of(job, row.getUUID("tenant_id")),
              row.getString("trace_context"));
        })
        .collect()
        .last()
        .replaceWithVoid()
        .onFailure()
        .recoverWithUni(failure -> {
          Log.warnf("Tenant slots not handed on now, the reaper will: %s", failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }
}
