package io.llmq.common.failure;

import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Tells an outage of a backing service (the database is restarting, a connection was cut) from a
 * fault of llmq. The api answers an outage with a 503 the client may retry; the worker waits one
 * out instead of giving up on a job.
 */
public final class Outages {

  private Outages() {}

  public static boolean isOutage(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException
          || cause instanceof ClosedConnectionException
          || cause instanceof TimeoutException) {
        return true;
      }
      if (cause instanceof PgException pg
          && pg.getSqlState() != null
          && unavailable(pg.getSqlState())) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  /**
   * Whether the failure is this process's own stop: its connection pool was closed under a periodic
   * task that started just before. Not worth a warning.
   */
  public static boolean isClosing(Throwable failure) {
    return failure != null && "Pool closed".equals(failure.getMessage());
  }

  /**
   * {@code statement}, retried with backoff through an outage for up to {@code patience} instead of
   * failing; any other failure fails at once. Only for statements that are safe to repeat: a
   * version-checked or otherwise idempotent write whose commit may have gone unanswered.
   */
  public static <T> Uni<T> patiently(Uni<T> statement, Duration patience) {
    return statement
        .onFailure(Outages::isOutage)
        .retry()
        .withBackOff(Duration.ofMillis(250), Duration.ofSeconds(10))
        .expireIn(patience.toMillis());
  }

  /** SQLSTATE classes 08 (connection), 53 (resources) and 57P (server shutting down). */
  private static boolean unavailable(String sqlState) {
    return sqlState.startsWith("08") || sqlState.startsWith("53") || sqlState.startsWith("57P");
  }
}
