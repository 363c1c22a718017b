package io.llmq.worker.webhook;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.llmq.common.job.JobView;
import java.time.Instant;

/**
 * What a webhook POSTs (SPEC §2 Webhooks): {@code {"type": "job.succeeded", "timestamp": …, "data":
 * <job>}}, the timestamp being when the job ended.
 */
record WebhookBody(String type, Instant timestamp, @JsonRawValue String data) {

  static String of(JobView job) {
    Instant at = job.completedAt() != null ? job.completedAt() : Instant.now();
    return JobView.write(new WebhookBody("job." + job.status(), at, job.json()));
  }
}
