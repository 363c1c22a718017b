package io.llmq.common.events;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.llmq.common.job.JobView;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The data of a {@code delta} event (SPEC §2 Progress stream): output text as it is generated, and
 * the completion tokens so far.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(
    name = "Delta",
    description =
        "The data of a delta event: output as it is generated, and the completion tokens so far.")
public record DeltaData(String content, int completionTokens) {

  public String json() {
    return JobView.write(this);
  }
}
