package io.llmq.simulator.call;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.simulator.ratelimit.Refusal;

/**
 * An error answer in a provider's own format; a rate-limit refusal adds the {@code retry-after}
 * headers.
 */
public record ErrorReply(int status, JsonNode body, Refusal refusal) {

  public static ErrorReply of(int status, JsonNode body) {
    return new ErrorReply(status, body, null);
  }
}
