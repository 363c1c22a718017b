package io.llmq.simulator.call;

import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.answer.Pacing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Writes a streamed answer as its tokens fall due, on Vert.x timers: each tick writes every token
 * due by then in one chunk and sets a timer for the next. A {@link Fault#RESET} resets the
 * connection once half the tokens are out; a {@link Fault#MALFORMED} breaks the middle token's
 * event.
 */
final class PacedStream {

  private final Vertx vertx;
  private final HttpServerRequest request;
  private final StreamEvents events;
  private final Answer answer;
  private final Pacing pacing;
  private final Fault fault;
  private final Runnable onStart;
  private final Runnable onEnd;
  private final int resetAfter;
  private long startedAt;
  private int sent;

  /**
   * @param onStart run when the response starts (status 200 sent)
   * @param onEnd run as the stream ends normally (not for resets or closed clients)
   */
  PacedStream(
      Vertx vertx,
      HttpServerRequest request,
      StreamEvents events,
      Answer answer,
      Pacing pacing,
      Fault fault,
      Runnable onStart,
      Runnable onEnd) {
    this.vertx = vertx;
    this.request = request;
    this.events = events;
    this.answer = answer;
    this.pacing = pacing;
    this.fault = fault;
    this.onStart = onStart;
    this.onEnd = onEnd;
    this.resetAfter = Math.max(1, answer.size() / 2);
  }

  void start() {
    startedAt = System.nanoTime();
    tick();
  }

  private void tick() {
    HttpServerResponse response = request.response();
    if (response.closed()) {
      return;
    }
    int due = Math.min(answer.size(), pacing.dueBy(System.nanoTime() - startedAt));
    if (fault == Fault.RESET && due >= resetAfter) {
      if (sent >= resetAfter) {
        Reset.connection(request);
        return;
      }
      due = resetAfter;
    }
    if (due > sent && write(response, due)) {
      return;
    }
    long wait = pacing.dueAt(sent) - (System.nanoTime() - startedAt);
    vertx.setTimer(Math.max(1, (wait + 999_999) / 1_000_000), id -> tick());
  }

  /** Writes tokens up to {@code due}; true when that ended the response. */
  private boolean write(HttpServerResponse response, int due) {
    StringBuilder chunk = new StringBuilder();
    if (sent == 0) {
      response
          .setChunked(true)
          .putHeader("content-type", "text/event-stream")
          .putHeader("cache-control", "no-cache");
      onStart.run();
      chunk.append(events.opening());
    }
    for (int i = sent; i < due; i++) {
      String event = events.token(answer.piece(i));
      chunk.append(fault == Fault.MALFORMED && i == answer.size() / 2 ? broken(event) : event);
    }
    sent = due;
    if (sent < answer.size() || fault == Fault.RESET) {
      response.write(chunk.toString());
      return false;
    }
    onEnd.run();
    response.end(chunk.append(events.closing(answer)).toString());
    return true;
  }

  /** The event with its JSON cut in half. */
  static String broken(String event) {
    int data = event.indexOf("data: ") + "data: ".length();
    int end = event.indexOf('\n', data);
    return event.substring(0, data + (end - data) / 2) + "\n\n";
  }
}
