package io.llmq.worker.execution;

import io.quarkus.logging.LoggingFilter;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Gives every log line about a job (its message starts with the stable {@code Job(id=…)} prefix)
 * that job's {@code jobId} and {@code tenantId}, whatever the MDC holds. A job's work hops between
 * Vert.x contexts: a slot or capacity freed by one job resumes another on the first one's context,
 * so the MDC set when a message arrived is not always its job's by the time a line is logged. The
 * tenant comes from the jobs running here; for any other job it is dropped when the MDC named
 * another job, never left wrong.
 */
@LoggingFilter(name = "job-fields")
public final class JobLogFields implements Filter {

  private static final String PREFIX = "Job(id=";
  private static final Map<String, String> TENANTS = new ConcurrentHashMap<>();

  /** The job runs here from now on: its lines carry its tenant. */
  static void running(UUID jobId, UUID tenantId) {
    TENANTS.put(jobId.toString(), tenantId.toString());
  }

  static void ended(UUID jobId) {
    TENANTS.remove(jobId.toString());
  }

  @Override
  public boolean isLoggable(LogRecord record) {
    if (record instanceof ExtLogRecord line) {
      String jobId = jobOf(line);
      if (jobId != null) {
        String tenant = TENANTS.get(jobId);
        String before = line.putMdc("jobId", jobId);
        if (tenant != null) {
          line.putMdc("tenantId", tenant);
        } else if (!jobId.equals(before)) {
          line.removeMdc("tenantId");
        }
      }
    }
    return true;
  }

  /** The job a line is about: the first argument of {@code "Job(id=%s)…"}, or the literal id. */
  private static String jobOf(ExtLogRecord line) {
    String format = line.getMessage();
    if (format == null || !format.startsWith(PREFIX)) {
      return null;
    }
    Object[] arguments = line.getParameters();
    if (format.startsWith(PREFIX + "%s)") && arguments != null && arguments.length > 0) {
      return arguments[0] == null ? null : arguments[0].toString();
    }
    int end = format.indexOf(')');
    String id = end < 0 ? "" : format.substring(PREFIX.length(), end);
    return id.isEmpty() || id.contains("%") ? null : id;
  }
}
