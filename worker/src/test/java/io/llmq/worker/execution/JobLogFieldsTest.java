package io.llmq.worker.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.UUID;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.MDC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JobLogFieldsTest {

  private final JobLogFields filter = new JobLogFields();
  private final UUID job = UUID.randomUUID();
  private final UUID tenant = UUID.randomUUID();
  private final UUID otherJob = UUID.randomUUID();
  private final UUID otherTenant = UUID.randomUUID();

  @AfterEach
  void clear() {
    MDC.clear();
    JobLogFields.ended(job);
  }

  private ExtLogRecord line(String format, Object... arguments) {
    ExtLogRecord line =
        new ExtLogRecord(Level.INFO, format, ExtLogRecord.FormatStyle.PRINTF, getClass().getName());
    line.setParameters(arguments);
    return line;
  }

  @Test
  void aLineAboutARunningJobGetsItsIdsOverAnotherJobsMdc() {
    JobLogFields.running(job, tenant);
    MDC.put("jobId", otherJob.toString());
    MDC.put("tenantId", otherTenant.toString());
    ExtLogRecord line = line("Job(id=%s) succeeded", job);

    filter.isLoggable(line);

    assertEquals(job.toString(), line.getMdc("jobId"));
    assertEquals(tenant.toString(), line.getMdc("tenantId"));
  }

  @Test
  void aLineAboutAJobNotRunningHereDropsATenantThatCameWithAnotherJob() {
    MDC.put("jobId", otherJob.toString());
    MDC.put("tenantId", otherTenant.toString());
    ExtLogRecord line = line("Job(id=" + job + ") found no free call slot");

    filter.isLoggable(line);

    assertEquals(job.toString(), line.getMdc("jobId"));
    assertNull(line.getMdc("tenantId"));
  }

  @Test
  void aLineWhoseMdcIsItsOwnJobKeepsItsTenant() {
    MDC.put("jobId", job.toString());
    MDC.put("tenantId", tenant.toString());
    ExtLogRecord line = line("Job(id=%s) webhook %s delivered", job, "w");

    filter.isLoggable(line);

    assertEquals(tenant.toString(), line.getMdc("tenantId"));
  }

  @Test
  void aLineAboutNoJobIsLeftAlone() {
    MDC.put("jobId", otherJob.toString());
    ExtLogRecord line = line("Stopping: no more jobs taken");

    filter.isLoggable(line);

    assertEquals(otherJob.toString(), line.getMdc("jobId"));
  }
}
