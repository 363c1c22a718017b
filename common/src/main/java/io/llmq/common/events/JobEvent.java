package io.llmq.common.events;

/**
 * One progress event of a job, as stored in its Redis stream and sent on its SSE stream.
 *
 * @param id the event's number within the job: 1, 2, 3, …
 * @param type {@link #STATUS}, {@link #DELTA} or {@link #DONE}
 * @param data JSON: the job for {@code status} and {@code done}, {@code {"content",
 *     "completion_tokens"}} for {@code delta}
 */
public record JobEvent(long id, String type, String data) {

  public static final String STATUS = "status";
  public static final String DELTA = "delta";
  public static final String DONE = "done";

  public boolean isDone() {
    return DONE.equals(type);
  }
}
