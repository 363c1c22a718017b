package io.llmq.api.context;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmq.api.problem.ProblemException;

/**
 * A submission's {@code context_policy} (SPEC §2 Submit): what becomes of a request that does not
 * fit its model's context window. {@code reject} refuses it at submit; {@code trim} drops its
 * oldest turns until it fits (see {@link ContextWindow}).
 */
public enum ContextPolicy {
  REJECT("reject"),
  TRIM("trim");

  /** The policy of a submission that names none. */
  public static final ContextPolicy DEFAULT = REJECT;

  private final String wire;

  ContextPolicy(String wire) {
    this.wire = wire;
  }

  /** The name in the API, lower case. */
  public String wire() {
    return wire;
  }

  /**
   * The submit body's {@code context_policy}: {@code reject} or {@code trim}, spelled as SPEC
   * spells them; absent or {@code null} is {@link #DEFAULT}, as for every optional field; anything
   * else (another string, another case, a number) is 400.
   */
  public static ContextPolicy of(JsonNode body) {
    JsonNode value = body.get("context_policy");
    if (value == null || value.isNull()) {
      return DEFAULT;
    }
    if (value.isTextual()) {
      for (ContextPolicy policy : values()) {
        if (policy.wire.equals(value.textValue())) {
          return policy;
        }
      }
    }
    throw ProblemException.invalid("'context_policy' must be reject or trim.");
  }
}
