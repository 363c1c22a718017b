package io.llmq.api.problem;

import java.util.UUID;

/** Ids taken from a path: one that is not a UUID names nothing, so it is a 404, not a 400. */
public final class PathIds {

  private PathIds() {}

  public static UUID parse(String id, String notFoundDetail) {
    try {
      if (id != null && id.length() == 36) {
        return UUID.fromString(id);
      }
    } catch (IllegalArgumentException e) {
      // falls through to the 404 below
    }
    throw ProblemException.notFound(notFoundDetail);
  }
}
