package io.llmq.api.events;

import io.llmq.common.events.DeltaData;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.job.JobView;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One client's stream of one job. Sends every event after the client's {@code Last-Event-ID}
 * exactly once and in order, whichever way it arrives: read from the job's Redis stream (at the
 * start, to fill a gap, and when the stream has been quiet for a keep-alive interval, in case a
 * live event was lost), or live from the {@link EventHub}. Events that arrive early wait in {@code
 * pending} until the ones before them are sent. Ends after {@code done}, or with a {@code error}
 * frame when Redis fails.
 *
 * <p>A finished job whose stream has expired (or was lost with Redis) is replayed from the job row
 * with the same terminal id: one {@code delta} with the whole answer (to a client that has seen
 * nothing yet), then {@code done}.
 */
final class EventStream {

  private static final int PAGE = 500;

  private final UUID jobId;
  private final Opening opening;
  private final EventLog log;
  private final MultiEmitter<? super Frame> out;
  private final TreeMap<Long, JobEvent> pending = new TreeMap<>();
  private long lastSent;
  private boolean fetching;
  private boolean fetchAgain;
  private boolean gapChecked;
  private boolean closed;
  private long lastActivity = System.nanoTime();

  EventStream(Opening opening, EventLog log, MultiEmitter<? super Frame> out) {
    this.jobId = opening.job().id();
    this.opening = opening;
    this.log = log;
    this.out = out;
    this.lastSent = opening.after();
  }

  UUID jobId() {
    return jobId;
  }

  /** An event published live. */
  synchronized void offer(JobEvent event) {
    if (closed || event.id() <= lastSent) {
      return;
    }
    pending.putIfAbsent(event.id(), event);
    sendInOrder();
    if (!closed && !pending.isEmpty()) {
      // Something is missing before this event: the stream has it.
      catchUp();
    }
  }

  /** Reads the job's stream from the last event sent. */
  synchronized void catchUp() {
    if (closed) {
      return;
    }
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    log.after(jobId, lastSent, PAGE).subscribe().with(this::fetched, this::failed);
  }

  /** Sends a keep-alive and re-reads the stream when nothing was sent for {@code quiet} nanos. */
  synchronized void tick(long now, long quiet) {
    if (closed || now - lastActivity < quiet) {
      return;
    }
    lastActivity = now;
    out.emit(new Frame.KeepAlive());
    catchUp();
  }

  /** The api stops: the client is told to reconnect from the last event it was sent. */
  synchronized void reconnect() {
    if (closed) {
      return;
    }
    closed = true;
    pending.clear();
    out.emit(new Frame.Reconnect(lastSent));
    out.complete();
  }

  /** The client went away. */
  synchronized void close() {
    closed = true;
    pending.clear();
  }

  private synchronized void fetched(List<JobEvent> events) {
    fetching = false;
    if (closed) {
      return;
    }
    for (JobEvent event : events) {
      if (event.id() > lastSent) {
        pending.putIfAbsent(event.id(), event);
      }
    }
    sendInOrder();
    if (closed) {
      return;
    }
    if (events.size() == PAGE || fetchAgain) {
      fetchAgain = false;
      catchUp();
      return;
    }
    if (pending.isEmpty()) {
      gapChecked = false;
    } else {
      if (!gapChecked) {
        // A live event may have outrun the read: read once more before calling it a gap.
        gapChecked = true;
        catchUp();
        return;
      }
      // The stream no longer holds what came before: go on from what is there.
      gapChecked = false;
      lastSent = pending.firstKey() - 1;
      sendInOrder();
      return;
    }
    if (opening.finished() && !closed) {
      replayFromJob();
    }
  }

  /** The job ended, but its stream does not hold the end: it expired or was lost. */
  private void replayFromJob() {
    JobView job = opening.job();
    long done = Math.max(opening.terminalEventId(), lastSent + 1);
    String content = job.content();
    if (lastSent == 0 && done >= 2 && !content.isEmpty()) {
      int tokens = job.usage() == null ? 0 : job.usage().completionTokens();
      send(new JobEvent(done - 1, JobEvent.DELTA, new DeltaData(content, tokens).json()));
    }
    send(new JobEvent(done, JobEvent.DONE, job.json()));
  }

  private void sendInOrder() {
    while (!closed && !pending.isEmpty() && pending.firstKey() <= lastSent + 1) {
      JobEvent event = pending.pollFirstEntry().getValue();
      if (event.id() > lastSent) {
        send(event);
      }
    }
  }

  private void send(JobEvent event) {
    lastSent = event.id();
    lastActivity = System.nanoTime();
    out.emit(new Frame.Event(event));
    if (event.isDone()) {
      closed = true;
      pending.clear();
      out.complete();
    }
  }

  private synchronized void failed(Throwable failure) {
    fetching = false;
    if (closed) {
      return;
    }
    Log.warnf("Job(id=%s) event stream failed: %s", jobId, failure.getMessage());
    closed = true;
    pending.clear();
    out.emit(
        new Frame.Failure(
            "{\"code\":\"service_unavailable\",\"message\":\"The progress stream was interrupted;"
                + " reconnect with Last-Event-ID to resume.\"}"));
    out.complete();
  }
}
