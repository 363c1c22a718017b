package io.llmq.worker.events;

import io.llmq.common.events.DeltaData;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.worker.provider.Delta;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The progress events of one provider call, written in order, one at a time: a job's events must
 * reach its stream in the order they happened, and pooled Redis connections would not keep it.
 * Output that arrives while a write is in flight is merged into the next {@code delta}, so a fast
 * stream costs at most one Redis round trip per write, never a queue of them; the concatenated
 * contents stay the same. Writes are best effort: a failed one is dropped, and never fails the job.
 */
public final class RunEvents {

  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);

  private final UUID jobId;
  private final int version;
  private final EventLog log;
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private boolean busy;
  private int completionTokens;

  RunEvents(UUID jobId, int version, EventLog log) {
    this.jobId = jobId;
    this.version = version;
    this.log = log;
  }

  /** Output of the call, as the provider streams it. */
  public void delta(Delta delta) {
    synchronized (this) {
      completionTokens = Math.max(completionTokens, delta.completionTokens());
      if (queue.peekLast() instanceof Batch batch) {
        batch.add(delta);
      } else {
        queue.add(new Batch(delta));
      }
    }
    pump();
  }

  /** Completion tokens the provider has produced so far, as far as its stream tells. */
  public synchronized int completionTokens() {
    return completionTokens;
  }

  /** Completes once every event handed in so far is written (or given up). */
  public Uni<Void> flush() {
    CompletableFuture<Void> flushed = new CompletableFuture<>();
    then(() -> {
      flushed.complete(null);
      return Uni.createFrom().voidItem();
    });
    return Uni.createFrom()
        .completionStage(flushed)
        .ifNoItem()
        .after(FLUSH_TIMEOUT)
        .recoverWithItem((Void) null);
  }

  /** Runs a write after the ones before it. */
  void then(Supplier<Uni<?>> write) {
    synchronized (this) {
      queue.add(write);
    }
    pump();
  }

  @SuppressWarnings("unchecked")
  private void pump() {
    Object next;
    synchronized (this) {
      if (busy || queue.isEmpty()) {
        return;
      }
      busy = true;
      next = queue.poll();
    }
    Uni<?> write =
        next instanceof Batch batch
            ? log.append(jobId, JobEvent.DELTA, version, batch.json())
            : ((Supplier<Uni<?>>) next).get();
    write
        .ifNoItem()
        .after(WRITE_TIMEOUT)
        .fail()
        .onFailure()
        .recoverWithNull()
        .subscribe()
        .with(ignored -> {
          synchronized (this) {
            busy = false;
          }
          pump();
        });
  }

  /** Deltas merged while the write before them ran. */
  private static final class Batch {
    private final StringBuilder content = new StringBuilder();
    private int completionTokens;

    Batch(Delta first) {
      add(first);
    }

    void add(Delta delta) {
      content.append(delta.content());
      completionTokens = Math.max(completionTokens, delta.completionTokens());
    }

    String json() {
      return new DeltaData(content.toString(), completionTokens).json();
    }
  }
}
