package io.llmq.common.messaging;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Deletes published outbox rows, many per statement. One {@code DELETE} is in flight at a time; the
 * rows confirmed meanwhile wait and go together in the next. A lone row is deleted at once, so
 * batching adds no delay when the api is quiet, and under load a submit costs a share of one commit
 * instead of a commit of its own. A failed delete leaves its rows to the sweep, which publishes
 * them again; consumers take duplicates in their stride.
 */
final class OutboxDeletes {

  private static final String DELETE = "DELETE FROM job_outbox WHERE id = ANY($1)";
  private static final int MAX_BATCH = 500;

  private record Pending(long id, CompletableFuture<Void> deleted) {}

  private final Pool pool;
  private final Queue<Pending> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean deleting = new AtomicBoolean();

  OutboxDeletes(Pool pool) {
    this.pool = pool;
  }

  /**
   * Deletes the row when subscribed to; the Uni completes when it is gone, or fails with the
   * statement.
   */
  Uni<Void> delete(long outboxId) {
    return Uni.createFrom()
        .deferred(() -> {
          Pending pending = new Pending(outboxId, new CompletableFuture<>());
          waiting.add(pending);
          drain();
          return Uni.createFrom().completionStage(pending.deleted());
        });
  }

  private void drain() {
    if (!deleting.compareAndSet(false, true)) {
      return;
    }
    List<Pending> batch = new ArrayList<>();
    for (Pending next; batch.size() < MAX_BATCH && (next = waiting.poll()) != null; ) {
      batch.add(next);
    }
    if (batch.isEmpty()) {
      deleting.set(false);
      // A row added after the poll and before the flag fell found the flag up: take it now.
      if (!waiting.isEmpty()) {
        drain();
      }
      return;
    }
    Long[] ids = batch.stream().map(Pending::id).toArray(Long[]::new);
    pool.preparedQuery(DELETE)
        .execute(Tuple.tuple().addArrayOfLong(ids))
        .subscribe()
        .with(deleted -> settle(batch, null), failure -> settle(batch, failure));
  }

  private void settle(List<Pending> batch, Throwable failure) {
    deleting.set(false);
    drain();
    for (Pending pending : batch) {
      if (failure == null) {
        pending.deleted().complete(null);
      } else {
        pending.deleted().completeExceptionally(failure);
      }
    }
  }
}
