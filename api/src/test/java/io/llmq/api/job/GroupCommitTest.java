package io.llmq.api.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.api.TestSql;
import io.llmq.api.TestTenants;
import io.llmq.api.context.ContextPolicy;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.Priority;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Submits written together ({@link GroupCommit}): every caller gets its own committed row and
 * outbox row, and a row that cannot be stored fails only its own caller, never its batch.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class GroupCommitTest {

  @Inject JobRepository jobs;

  @Test
  void concurrentSubmitsAreEachStoredWithTheirOutboxRowAndABadRowFailsAlone() throws Exception {
    long batchesBefore = jobs.groupCommit().batches();
    UUID tenant = UUID.fromString(TestTenants.tenant("group commit"));
    List<NewJob> submitted = new ArrayList<>();
    List<CompletableFuture<JobRepository.Inserted>> answers = new ArrayList<>();
    int bad = 7;
    for (int i = 0; i < 40; i++) {
      // One job of a tenant that does not exist: its row breaks the foreign key.
      NewJob job = job(i == bad ? UUID.randomUUID() : tenant, "row " + i, i % 3 == 0 ? 60 : null);
      submitted.add(job);
      answers.add(jobs.insertGrouped(job).subscribeAsCompletionStage());
    }
    for (int i = 0; i < submitted.size(); i++) {
      if (i == bad) {
        CompletableFuture<JobRepository.Inserted> failed = answers.get(i);
        ExecutionException thrown =
            assertThrows(ExecutionException.class, () -> failed.get(30, TimeUnit.SECONDS));
        assertNotNull(thrown.getCause());
        continue;
      }
      JobRepository.Inserted inserted = answers.get(i).get(30, TimeUnit.SECONDS);
      NewJob job = submitted.get(i);
      assertEquals(job.id(), inserted.job().id());
      assertEquals(JobStatus.QUEUED, inserted.job().status());
      assertEquals(job.bodyHash(), inserted.job().idempotencyHash());
      assertNotNull(inserted.outboxId());
      assertEquals(
          List.of(job.id().toString()),
          TestSql.column(
              "SELECT job_id::text FROM job_outbox WHERE id = ?", inserted.outboxId().longValue()));
      assertEquals(
          List.of(job.deadlineSeconds() == null ? "false" : "true"),
          TestSql.column(
              "SELECT (deadline_at IS NOT NULL)::text FROM jobs WHERE id = ?::uuid",
              job.id().toString()));
    }
    assertEquals(
        List.of("39"),
        TestSql.column(
            "SELECT count(*)::text FROM jobs WHERE tenant_id = ?::uuid", tenant.toString()));
    // More submits than statements in flight: some went together.
    assertTrue(jobs.groupCommit().batches() > batchesBefore);
  }

  private static NewJob job(UUID tenant, String prompt, Integer deadline) {
    String request =
        "{\"messages\":[{\"content\":\""
            + prompt
            + "\",\"role\":\"user\"}],\"model\":\"llmq-sim\"}";
    return new NewJob(
        UUID.randomUUID(),
        tenant,
        null,
        "llmq-sim",
        request,
        "default",
        "{}",
        null,
        deadline,
        SubmitParser.DEFAULT_MAX_ATTEMPTS,
        Priority.DEFAULT,
        null,
        "hash of " + prompt,
        null,
        ContextPolicy.REJECT,
        0,
        null);
  }
}
