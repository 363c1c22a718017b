package io.llmq.worker.execution;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The worker against real PostgreSQL, RabbitMQ and Redis, with the simulated provider. */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class JobExecutionTest {

  private final TestJobs jobs = new TestJobs();

  private void awaitStatus(UUID job, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status.equals(jobs.status(job)));
  }

  @Test
  void aPublishedJobRunsToSucceededWithResultAndUsageAndTheSimulatorCostsNothing() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "Say hello", 3);
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");

    Map<String, Object> row = jobs.row(job);
    assertEquals(1, row.get("attempts"));
    assertNotNull(row.get("started_at"));
    assertNotNull(row.get("completed_at"));
    assertTrue(row.get("result").toString().contains("\"chat.completion\""));
    int prompt = (Integer) row.get("prompt_tokens");
    int completion = (Integer) row.get("completion_tokens");
    assertEquals(prompt + completion, row.get("total_tokens"));
    // gpt-4o-mini has no key here, so the built-in simulator answered: never priced as the model.
    assertEquals(0, BigDecimal.ZERO.compareTo((BigDecimal) row.get("cost_usd")));
    assertEquals("simulated", row.get("served_provider"));
    assertEquals("gpt-4o-mini", row.get("served_model"));
    Map<String, Object> attempt =
        jobs.rows("SELECT * FROM usage_ledger WHERE job_id = '" + job + "'").get(0);
    assertEquals("succeeded", attempt.get("outcome"));
    assertEquals("simulated", attempt.get("provider"));
    assertEquals(prompt, attempt.get("prompt_tokens"));
    assertEquals(completion, attempt.get("completion_tokens"));
    assertEquals(true, attempt.get("settled"));
    assertNull(row.get("lease_owner"));
  }

  @Test
  void theSameRequestGetsTheSameAnswer() {
    UUID tenant = jobs.tenant();
    UUID first = jobs.queued(tenant, "llmq-sim", "deterministic", 1);
    UUID second = jobs.queued(tenant, "llmq-sim", "deterministic", 1);
    jobs.publish(first, tenant);
    jobs.publish(second, tenant);
    awaitStatus(first, "succeeded");
    awaitStatus(second, "succeeded");
    assertEquals(content(first), content(second));
  }

  private String content(UUID job) {
    String result = jobs.row(job).get("result").toString();
    return result.substring(result.indexOf("\"content\""), result.indexOf("\"finish_reason\""));
  }

  @Test
  void duplicateDeliveriesNeverCompleteAJobTwice() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "only once [[sim delay_ms=300]]", 3);
    for (int i = 0; i < 5; i++) {
      jobs.publish(job, tenant);
    }
    awaitStatus(job, "succeeded");
    Object completedAt = jobs.row(job).get("completed_at");
    jobs.publish(job, tenant);

    // Claimed once (version 1) and completed once (version 2); the late duplicate changes nothing.
    Awaitility.await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> Integer.valueOf(2).equals(jobs.row(job).get("version")));
    assertEquals(1, jobs.row(job).get("attempts"));
    assertEquals(completedAt, jobs.row(job).get("completed_at"));
  }

  @Test
  void aJobWhoseWorkerDiedIsTakenBackAndRunAgain() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.orphaned(tenant, "the first worker died mid-call");
    awaitStatus(job, "succeeded");
    assertEquals(2, jobs.row(job).get("attempts"));
  }

  @Test
  void aJobThatOutlivesTheAckHandoverIsAckedEarlyAndStillCompletesOnce() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "a long call [[sim delay_ms=4000]]", 3);
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");
    Map<String, Object> row = jobs.row(job);
    assertEquals(1, row.get("attempts"));
    assertEquals(2, row.get("version"));
    assertTrue(
        metric("llmq_messages_handed_over_total") >= 1,
        "the message was acknowledged before the job ended");
  }

  @Test
  void aTransientFailureIsRetriedUntilAttemptsRunOutThenDeadLettered() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "always 503 [[sim fail=upstream_error]]", 3);
    jobs.publish(job, tenant);
    awaitStatus(job, "failed");
    Map<String, Object> row = jobs.row(job);
    assertEquals("upstream_error", row.get("error_code"));
    assertEquals(3, row.get("attempts"));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> jobs.deadLettered(job));
  }

  @Test
  void a429IsRetriedNoSoonerThanItsRetryAfterAndExhaustedAttemptsFailRateLimited() {
    UUID tenant = jobs.tenant();
    UUID job =
        jobs.queued(
            tenant,
            "gpt-4o-mini",
            "always 429 [[sim fail=upstream_rate_limited]] [[sim retry_after_ms=1500]]",
            3);
    jobs.publish(job, tenant);
    awaitStatus(job, "failed");
    Map<String, Object> row = jobs.row(job);
    assertEquals("upstream_rate_limited", row.get("error_code"));
    assertEquals(3, row.get("attempts"));
    // Two retries, each after at least the 1.5 s asked for (the test backoff alone caps at 0.5 s).
    var started = ((java.sql.Timestamp) row.get("started_at")).toInstant();
    var ended = ((java.sql.Timestamp) row.get("completed_at")).toInstant();
    assertTrue(
        Duration.between(started, ended).compareTo(Duration.ofMillis(3_000)) >= 0,
        "retries waited " + Duration.between(started, ended));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> jobs.deadLettered(job));
  }

  @Test
  void aPermanentFailureIsNotRetried() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "bad request [[sim fail=upstream_rejected]]", 5);
    jobs.publish(job, tenant);
    awaitStatus(job, "failed");
    assertEquals("upstream_rejected", jobs.row(job).get("error_code"));
    assertEquals(1, jobs.row(job).get("attempts"));
  }

  @Test
  void aJobPastItsDeadlineExpiresWithoutRunning() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "too late", 3);
    jobs.update(
        "UPDATE jobs SET deadline_at = now() - interval '1 second' WHERE id = '" + job + "'");
    jobs.publish(job, tenant);
    awaitStatus(job, "expired");
    assertEquals(0, jobs.row(job).get("attempts"));
  }

  @Test
  void aRetriedJobPastItsDeadlineStillRunsBecauseItHadStarted() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "retry after the deadline", 3);
    jobs.update(
        "UPDATE jobs SET attempts = 1, started_at = now() - interval '1 minute',"
            + " deadline_at = now() - interval '1 second' WHERE id = '"
            + job
            + "'");
    jobs.publish(job, tenant);
    awaitStatus(job, "succeeded");
    assertEquals(2, jobs.row(job).get("attempts"));
  }

  @Test
  void aJobCancelledWhileRunningHasItsCallAbandonedAndItsResultNeverRecorded() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "cancel me mid-call [[sim delay_ms=20000]]", 3);
    jobs.publish(job, tenant);
    awaitStatus(job, "running");
    assertTrue(jobs.cancel(job));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> metric("llmq_jobs_abandoned_total") >= 1);
    assertEquals("cancelled", jobs.status(job));
    assertNull(jobs.row(job).get("result"));
  }

  private static double metric(String name) {
    String metrics = given().get("/q/metrics").then().extract().asString();
    var matcher =
        java.util.regex.Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)").matcher(metrics);
    return matcher.find() ? Double.parseDouble(matcher.group(2)) : 0;
  }

  @Test
  void aTenantOverItsTokensPerMinuteWaitsQueuedAndIsPutBackRatherThanHeld() {
    // 120 tokens a minute (2 a second); each job reserves its prompt (~8) plus max_tokens 50.
    UUID tenant = jobs.tenant(120);
    UUID first = jobs.queued(tenant, "llmq-sim", "one", 3, 50);
    UUID second = jobs.queued(tenant, "llmq-sim", "two", 3, 50);
    UUID third = jobs.queued(tenant, "llmq-sim", "three", 3, 50);
    jobs.publish(first, tenant);
    awaitStatus(first, "succeeded");
    jobs.publish(second, tenant);
    awaitStatus(second, "succeeded");
    jobs.publish(third, tenant);
    // The third needs some 15 s of refill, far more than the test max-hold (2 s): back in the
    // queue, still queued, with its message due again when the tenant has the capacity.
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.outboxDueIn(third).map(due -> due.toSeconds() >= 5).orElse(false));
    assertEquals("queued", jobs.status(third));
    assertEquals(0, jobs.row(third).get("attempts"));
    assertTrue(metric("llmq_governor_wait_seconds_count") >= 3);
  }

  @Test
  void aJobPastTheHorizonIsPutBackUnchargedAndRunsWhenItComesBack() {
    // 600 tokens a minute (10 a second). The first job reserves ~550 of them and runs 3 s; the
    // second, reserving ~110, is ~6 s short, past the test horizon (2 s): put back, not charged.
    UUID tenant = jobs.tenant(600);
    UUID first = jobs.queued(tenant, "llmq-sim", "one [[sim delay_ms=3000]]", 3, 540);
    UUID second = jobs.queued(tenant, "llmq-sim", "two", 3, 100);
    jobs.publish(first, tenant);
    awaitStatus(first, "running");
    jobs.publish(second, tenant);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> jobs.outboxDueIn(second).isPresent());
    assertEquals("queued", jobs.status(second));
    // The first job's settlement gives most of its tokens back; the second runs when it returns.
    awaitStatus(second, "succeeded");
    assertEquals(1, jobs.row(second).get("attempts"));
  }

  @Test
  void aJobThatWaitsForCapacityWithinTheHorizonRunsWhenItsWaitEnds() {
    // 1,200 tokens a minute (20 a second): the first job, running for 3 s, holds all of them; the
    // second (~20 tokens) waits about a second, within the test horizon (2 s), holding its
    // message, and runs when the wait ends (a cancel watch is armed across that wait).
    UUID tenant = jobs.tenant(1200);
    UUID first = jobs.queued(tenant, "llmq-sim", "one [[sim delay_ms=3000]]", 3, 1190);
    UUID second = jobs.queued(tenant, "llmq-sim", "two", 3, 10);
    jobs.publish(first, tenant);
    awaitStatus(first, "running");
    jobs.publish(second, tenant);
    awaitStatus(second, "succeeded");
    Map<String, Object> row = jobs.row(second);
    assertEquals(1, row.get("attempts"));
    assertTrue(jobs.outboxDueIn(second).isEmpty(), "it waited rather than being put back");
    var waited =
        Duration.between(
            ((java.sql.Timestamp) row.get("created_at")).toInstant(),
            ((java.sql.Timestamp) row.get("started_at")).toInstant());
    assertTrue(waited.compareTo(Duration.ofMillis(300)) >= 0, "it started after " + waited);
  }

  @Test
  void aCancelledJobIsNotRun() {
    UUID tenant = jobs.tenant();
    UUID job = jobs.queued(tenant, "gpt-4o-mini", "never mind", 3);
    assertTrue(jobs.cancel(job));
    jobs.publish(job, tenant);
    UUID marker = jobs.queued(tenant, "gpt-4o-mini", "after the cancelled one", 3);
    jobs.publish(marker, tenant);
    awaitStatus(marker, "succeeded");
    assertEquals("cancelled", jobs.status(job));
    assertEquals(0, jobs.row(job).get("attempts"));
    assertFalse(jobs.deadLettered(job));
  }
}
