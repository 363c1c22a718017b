package io.llmq.api.http;

import io.llmq.api.problem.ProblemException;
import java.util.List;
import java.util.function.Function;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One page of a list and the cursor of the next ({@code null} on the last page): the body of every
 * list endpoint, {@code {"data": [...], "next_cursor": "…" | null}}.
 */
public record Page<T>(
    List<T> data,
    @Schema(nullable = true, description = "Pass as after for the next page; null on the last.")
        String nextCursor) {

  /** Rows a page holds when {@code limit} is not given. */
  public static final int DEFAULT_SIZE = 20;

  /** Most rows a page may hold. */
  public static final int MAX_SIZE = 100;

  /** The {@code limit} query parameter: 1 to {@link #MAX_SIZE}, or 400. */
  public static int size(String limit) {
    if (limit == null || limit.isEmpty()) {
      return DEFAULT_SIZE;
    }
    try {
      int value = Integer.parseInt(limit);
      if (value >= 1 && value <= MAX_SIZE) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ProblemException.invalid("'limit' must be an integer from 1 to " + MAX_SIZE + ".");
  }

  /** The {@code after} query parameter: {@code null} for the first page, or 400. */
  public static Cursor after(String after) {
    return after == null || after.isEmpty() ? null : Cursor.decode(after);
  }

  /**
   * The page made of rows read with a limit of {@code size + 1}: the first {@code size} of them,
   * and a cursor only when the extra row shows there is more.
   */
  public static <R, T> Page<T> of(
      List<R> rows, int size, Function<R, Cursor> position, Function<R, T> view) {
    boolean more = rows.size() > size;
    List<R> shown = more ? rows.subList(0, size) : rows;
    return new Page<>(
        shown.stream().map(view).toList(),
        more ? position.apply(shown.get(shown.size() - 1)).encode() : null);
  }
}
