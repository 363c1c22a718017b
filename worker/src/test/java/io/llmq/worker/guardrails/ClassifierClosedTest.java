package io.llmq.worker.guardrails;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.guardrails.Guardrails;
import io.llmq.common.guardrails.Verdict;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.TestJobs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A classifier outage under {@code llmq.guardrails.injection.on-outage=closed}: under {@code block}
 * the job fails {@code content_blocked} with no call, under {@code flag} it runs.
 */
@QuarkusTest
@TestProfile(ClassifierProfile.Closed.class)
@QuarkusTestResource(LlmqTestResource.class)
class ClassifierClosedTest {

  private static final String CHECKER = "unavailable:classifier:" + ClassifierProfile.MODEL;
  private final TestJobs jobs = new TestJobs();

  private Map<String, Object> run(String injection, String prompt, String status) {
    UUID tenant = jobs.tenant();
    jobs.update(
        "UPDATE tenants SET injection = '"
            + injection
            + "', injection_model = '"
            + ClassifierProfile.MODEL
            + "' WHERE id = '"
            + tenant
            + "'");
    UUID job = jobs.queued(tenant, "llmq-sim", prompt, 2);
    jobs.publish(job, tenant);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status.equals(jobs.status(job)));
    return jobs.row(job);
  }

  private static Verdict injection(Map<String, Object> row) {
    return Guardrails.parse(row.get("guardrails").toString()).injection();
  }

  private void assertBlockedAsUnavailable(Map<String, Object> row) {
    assertEquals("content_blocked", row.get("error_code"));
    String message = row.get("error_message").toString();
    assertTrue(
        message.contains("prompt-injection check was unavailable")
            && message.contains("llmq.guardrails.injection.on-outage=closed"),
        message);
    assertEquals(CHECKER, injection(row).checker());
    assertEquals(0, row.get("attempts"));
    assertEquals(
        0, jobs.rows("SELECT 1 FROM usage_ledger WHERE job_id = '" + row.get("id") + "'").size());
  }

  @Test
  void aFailedClassifierUnderBlockFailsTheJob() {
    assertBlockedAsUnavailable(
        run("block", ClassifierTest.BENIGN + " [[sim classifier=fail]]", "failed"));
  }

  @Test
  void aClassifierTimeoutUnderBlockFailsTheJob() {
    assertBlockedAsUnavailable(
        run("block", ClassifierTest.BENIGN + " [[sim classifier=hang]]", "failed"));
  }

  @Test
  void underFlagAnOutageNeverFailsAJob() {
    Map<String, Object> row =
        run("flag", ClassifierTest.BENIGN + " [[sim classifier=fail]]", "succeeded");
    assertEquals(CHECKER, injection(row).checker());
    assertFalse(injection(row).flagged());
  }

  @Test
  void aSafeAnswerStillLetsTheJobRun() {
    Map<String, Object> row = run("block", ClassifierTest.BENIGN, "succeeded");
    assertEquals("classifier:" + ClassifierProfile.MODEL, injection(row).checker());
  }
}
