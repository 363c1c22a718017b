package io.llmq.common.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.llmq.common.job.JobView;

/**
 * The data of a {@code delta} event (SPEC §2 Progress stream): output text as it is generated, and
 * the completion tokens so far.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeltaData(String content, int completionTokens) {

  public String json() {
    return JobView.write(this);
  }
}
