package io.llmq.common.messaging;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.UUID;

/**
 * What travels on the job queue: only the job's identity. The job row in PostgreSQL is the truth; a
 * message says "look at this job", so a duplicate or stale message is harmless. Field names are
 * fixed here, whatever naming an app's JSON mapper uses.
 *
 * @param schema the contract version, {@link #SCHEMA}; consumers reject versions they do not know
 * @param jobId the job to run
 * @param tenantId the job's tenant, for routing and logs without a database read
 */
public record JobMessage(
    @JsonProperty("schema") int schema,
    @JsonProperty("job_id") UUID jobId,
    @JsonProperty("tenant_id") UUID tenantId) {

  /** The version this build writes and reads. */
  public static final int SCHEMA = 1;

  public static JobMessage of(UUID jobId, UUID tenantId) {
    return new JobMessage(SCHEMA, jobId, tenantId);
  }
}
