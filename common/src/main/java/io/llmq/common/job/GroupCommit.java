package io.llmq.common.job;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.sqlclient.Row;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Group commit of one kind of statement: writes asked for while earlier ones are in flight go
 * together in the next statement, so under load many jobs share one round trip, one transaction and
 * one commit, while a write asked for when nothing is in flight goes at once, alone (no timer, no
 * added wait). At most {@code inFlight} statements run at a time, each with at most {@code
 * maxBatch} writes.
 *
 * <p>The statement answers one result per write, in the writes' order. A statement that fails fails
 * every write in it: each caller sees what it would have seen had its write failed alone. Batching
 * changes no write's meaning as long as the statement applies each write as its own single
 * statement would (version-checked, each row at most once): the callers' guarantees stay theirs.
 *
 * @param <I> one write
 * @param <O> its result
 */
public final class GroupCommit<I, O> {

  private record Pending<I, O>(I write, UniEmitter<? super O> result) {}

  private final Function<List<I>, Uni<List<O>>> statement;
  private final int maxBatch;
  private final int inFlight;
  private final ArrayDeque<Pending<I, O>> queue = new ArrayDeque<>();
  private int running;

  /**
   * @param statement runs the writes of one batch, answering their results in the same order
   */
  public GroupCommit(Function<List<I>, Uni<List<O>>> statement, int maxBatch, int inFlight) {
    this.statement = statement;
    this.maxBatch = maxBatch;
    this.inFlight = inFlight;
  }

  /**
   * A batch's answers in the order of its writes: for each of {@code ids}, the row among {@code
   * rows} that has it ({@code from} reads a row, {@code idOf} names it), or null when none has.
   */
  public static <T> List<T> inOrder(
      List<UUID> ids, Iterable<Row> rows, Function<Row, T> from, Function<T, UUID> idOf) {
    Map<UUID, T> found = new HashMap<>();
    for (Row row : rows) {
      T item = from.apply(row);
      found.put(idOf.apply(item), item);
    }
    List<T> answers = new ArrayList<>(ids.size());
    for (UUID id : ids) {
      answers.add(found.get(id));
    }
    return answers;
  }

  /** Asks for one write; completes with its result once the statement that carried it ended. */
  public Uni<O> submit(I write) {
    return Uni.createFrom()
        .emitter(emitter -> {
          synchronized (this) {
            queue.add(new Pending<>(write, emitter));
          }
          pump();
        });
  }

  private void pump() {
    List<Pending<I, O>> batch;
    synchronized (this) {
      if (running >= inFlight || queue.isEmpty()) {
        return;
      }
      running++;
      batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
      while (!queue.isEmpty() && batch.size() < maxBatch) {
        batch.add(queue.poll());
      }
    }
    List<I> writes = new ArrayList<>(batch.size());
    for (Pending<I, O> pending : batch) {
      writes.add(pending.write());
    }
    Uni<List<O>> run;
    try {
      run = statement.apply(writes);
    } catch (RuntimeException e) {
      run = Uni.createFrom().failure(e);
    }
    run.subscribe()
        .with(
            results -> {
              ended();
              for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.get(i));
              }
            },
            failure -> {
              ended();
              for (Pending<I, O> pending : batch) {
                pending.result().fail(failure);
              }
            });
  }

  private void ended() {
    synchronized (this) {
      running--;
    }
    pump();
  }
}
