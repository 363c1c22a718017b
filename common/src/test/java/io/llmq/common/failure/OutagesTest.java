package io.llmq.common.failure;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class OutagesTest {

  @Test
  void refusedConnectionsAndServerShutdownsAreOutagesWhereverTheyAreWrapped() {
    assertTrue(Outages.isOutage(new RuntimeException(new ConnectException("refused"))));
    assertTrue(Outages.isOutage(new PgException("terminating", "FATAL", "57P01", null)));
    assertTrue(Outages.isOutage(new PgException("lost", "FATAL", "08006", null)));
  }

  @Test
  void ordinaryFaultsAreNot() {
    assertFalse(Outages.isOutage(new IllegalStateException("bug")));
    assertFalse(Outages.isOutage(new PgException("duplicate key", "ERROR", "23505", null)));
  }
}
