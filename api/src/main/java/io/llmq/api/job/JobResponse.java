package io.llmq.api.job;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/** A job as the API shows it (SPEC §2 "The job"). */
public record JobResponse(
    UUID id,
    String status,
    String model,
    Instant createdAt,
    Instant startedAt,
    Instant completedAt,
    int attempts,
    boolean cached,
    @JsonRawValue String result,
    Usage usage,
    BigDecimal costUsd,
    Error error,
    @JsonRawValue String metadata,
    String webhookUrl) {

  /** Token counts of the job's final answer. */
  public record Usage(int promptTokens, int completionTokens, int totalTokens) {}

  /** Why a job failed. */
  public record Error(String code, String message) {}

  static JobResponse of(JobRecord job) {
    Usage usage =
        job.totalTokens() == null
            ? null
            : new Usage(job.promptTokens(), job.completionTokens(), job.totalTokens());
    Error error = job.errorCode() == null ? null : new Error(job.errorCode(), job.errorMessage());
    return new JobResponse(
        job.id(),
        job.status().wire(),
        job.model(),
        JobRecord.instant(job.createdAt()),
        JobRecord.instant(job.startedAt()),
        JobRecord.instant(job.completedAt()),
        job.attempts(),
        job.cached(),
        job.resultJson(),
        usage,
        job.costUsd() == null ? null : job.costUsd().stripTrailingZeros(),
        error,
        job.metadataJson(),
        job.webhookUrl());
  }
}
