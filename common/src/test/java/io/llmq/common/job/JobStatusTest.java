package io.llmq.common.job;

import static io.llmq.common.job.JobStatus.CANCELLED;
import static io.llmq.common.job.JobStatus.EXPIRED;
import static io.llmq.common.job.JobStatus.FAILED;
import static io.llmq.common.job.JobStatus.QUEUED;
import static io.llmq.common.job.JobStatus.RUNNING;
import static io.llmq.common.job.JobStatus.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobStatusTest {

  private static final Set<String> LEGAL =
      Set.of(
          "QUEUED>RUNNING",
          "QUEUED>CANCELLED",
          "QUEUED>EXPIRED",
          "QUEUED>FAILED",
          "RUNNING>SUCCEEDED",
          "RUNNING>FAILED",
          "RUNNING>CANCELLED",
          "RUNNING>QUEUED",
          "RUNNING>RUNNING");

  @Test
  void everyEdgeOfTheTableIsLegalExactlyWhenListed() {
    for (JobStatus from : JobStatus.values()) {
      for (JobStatus to : JobStatus.values()) {
        assertEquals(LEGAL.contains(from + ">" + to), from.canBecome(to), from + " -> " + to);
      }
    }
  }

  @Test
  void terminalStatusesAreExactlyThoseWithNoWayOut() {
    assertEquals(
        EnumSet.of(SUCCEEDED, FAILED, CANCELLED, EXPIRED),
        EnumSet.copyOf(
            java.util.Arrays.stream(JobStatus.values()).filter(JobStatus::isTerminal).toList()));
  }

  @Test
  void sourcesOfCancelledAreTheLiveStatuses() {
    assertEquals(EnumSet.of(QUEUED, RUNNING), JobStatus.sourcesOf(CANCELLED));
  }

  @Test
  void runningIsReachedFromTheQueueAndByATakeOver() {
    assertEquals(EnumSet.of(QUEUED, RUNNING), JobStatus.sourcesOf(RUNNING));
  }

  @Test
  void wireFormRoundTripsAndRejectsUnknownValues() {
    for (JobStatus status : JobStatus.values()) {
      assertEquals(status, JobStatus.fromWire(status.wire()));
    }
    assertThrows(IllegalArgumentException.class, () -> JobStatus.fromWire("QUEUED"));
  }
}
