package io.llmq.worker.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The events a worker writes to a job's Redis stream while it runs the job, and at its end. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class JobEventsTest {

  private final TestJobs jobs = new TestJobs();
  private final ObjectMapper json = new ObjectMapper();

  @Inject EventLog log;

  private List<JobEvent> eventsOnceAnnounced(UUID job) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> jobs.row(job).get("terminal_event_id") != null);
    return log.after(job, 0, 10_000).await().atMost(Duration.ofSeconds(10));
  }

  private JsonNode read(String data) throws Exception {
    return json.readTree(data);
  }

  @Test
  void aJobsStreamHoldsItsRunningStatusEveryPieceOfOutputAndItsEnd() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queued(tenant, "llmq-sim", "stream me [[sim tokens=120]] [[sim delay_ms=600]]", 3);
    jobs.update("UPDATE jobs SET priority = 0 WHERE id = '" + job + "'");
    jobs.publish(job, tenant);
    List<JobEvent> events = eventsOnceAnnounced(job);

    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).id(), "ids count up from 1 without gaps");
    }
    JobEvent first = events.getFirst();
    assertEquals(JobEvent.STATUS, first.type());
    assertEquals("running", read(first.data()).path("status").asText());
    assertEquals("high", read(first.data()).path("priority").asText());
    JobEvent last = events.getLast();
    assertEquals(JobEvent.DONE, last.type());
    assertEquals(((Number) jobs.row(job).get("terminal_event_id")).longValue(), last.id());
    JsonNode done = read(last.data());
    assertEquals("succeeded", done.path("status").asText());
    assertEquals("high", done.path("priority").asText());
    assertEquals(job.toString(), done.path("id").asText());

    StringBuilder content = new StringBuilder();
    int tokens = 0;
    for (JobEvent event : events.subList(1, events.size() - 1)) {
      assertEquals(JobEvent.DELTA, event.type());
      JsonNode delta = read(event.data());
      content.append(delta.path("content").asText());
      tokens = delta.path("completion_tokens").asInt();
    }
    String result =
        read(jobs.row(job).get("result").toString())
            .path("choices")
            .path(0)
            .path("message")
            .path("content")
            .asText();
    assertEquals(result, content.toString(), "the deltas add up to the answer");
    assertEquals(120, tokens);
    assertEquals(
        result,
        done.path("result").path("choices").path(0).path("message").path("content").asText());
  }

  @Test
  void aRetriedAttemptPutsAQueuedStatusBetweenItsRuns() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "llmq-sim", "fails twice [[sim fail=upstream_error]]", 2);
    jobs.publish(job, tenant);
    List<JobEvent> events = eventsOnceAnnounced(job);

    List<String> statuses =
        events.stream()
            .map(event -> {
              try {
                return event.type() + ":" + read(event.data()).path("status").asText();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            })
            .toList();
    assertEquals(
        List.of("status:running", "status:queued", "status:running", "done:failed"), statuses);
    assertEquals(2, read(events.get(2).data()).path("attempts").asInt());
  }

  @Test
  void anEndNobodyAnnouncedIsAnnouncedByTheSweep() throws Exception {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "llmq-sim", "ended by a process that died", 1);
    // The terminal status committed a minute ago, and the process died before appending the event.
    jobs.expire(job);
    jobs.update(
        "UPDATE jobs SET completed_at = now() - interval '1 minute' WHERE id = '" + job + "'");
    List<JobEvent> events = eventsOnceAnnounced(job);
    assertEquals(1, events.size());
    assertEquals(JobEvent.DONE, events.getFirst().type());
    assertEquals("expired", read(events.getFirst().data()).path("status").asText());
    assertEquals(1, jobs.row(job).get("terminal_event_id"));
  }

  @Test
  void theEndHasOneIdHoweverOftenItIsAnnounced() {
    UUID job = UUID.randomUUID();
    long first = log.append(job, JobEvent.DONE, 3, "{}").await().atMost(Duration.ofSeconds(5));
    long again = log.append(job, JobEvent.DONE, 4, "{}").await().atMost(Duration.ofSeconds(5));
    long late = log.append(job, JobEvent.DELTA, 9, "{}").await().atMost(Duration.ofSeconds(5));
    assertEquals(first, again);
    assertEquals(EventLog.CLOSED, late, "nothing is appended after the end");
    assertEquals(1, log.after(job, 0, 10).await().atMost(Duration.ofSeconds(5)).size());
  }

  @Test
  void anOvertakenWriterIsIgnored() {
    UUID job = UUID.randomUUID();
    assertEquals(1, log.append(job, JobEvent.STATUS, 1, "{}").await().indefinitely());
    assertEquals(2, log.append(job, JobEvent.DELTA, 1, "{}").await().indefinitely());
    // The job was taken back (version 2) and claimed again (version 3).
    assertEquals(3, log.append(job, JobEvent.STATUS, 3, "{}").await().indefinitely());
    assertEquals(EventLog.STALE, log.append(job, JobEvent.DELTA, 1, "{}").await().indefinitely());
    assertEquals(EventLog.STALE, log.append(job, JobEvent.STATUS, 2, "{}").await().indefinitely());
    assertTrue(log.append(job, JobEvent.DELTA, 3, "{}").await().indefinitely() == 4);
  }
}
