package io.llmq.simulator.call;

import io.llmq.simulator.settings.Settings;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A misbehaviour the simulator can put on a call: drawn at random after admission from the
 * configured rates, or forced by the {@code x-sim-fault} request header.
 */
enum Fault {
  /** The provider's usual outage answer (OpenAI 500, Anthropic 529); drawn, not forced. */
  ERROR(null, 0),
  STATUS_500("500", 500),
  STATUS_503("503", 503),
  STATUS_529("529", 529),
  RATE_LIMIT("429", 429),
  BAD_REQUEST("400", 400),
  CONTEXT_LENGTH("context_length", 400),
  /** The connection is reset: at once, or halfway through a stream. */
  RESET("reset", 0),
  /** The call is accepted and never answered. */
  HANG("hang", 0),
  /** A 200 whose body is cut in half, or a stream with one broken chunk. */
  MALFORMED("malformed", 0);

  static final String HEADER = "x-sim-fault";

  private final String headerValue;
  private final int status;

  Fault(String headerValue, int status) {
    this.headerValue = headerValue;
    this.status = status;
  }

  int status() {
    return status;
  }

  /** The fault a header value asks for; null for no header. */
  static Fault forcedBy(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    for (Fault fault : values()) {
      if (header.trim().equals(fault.headerValue)) {
        return fault;
      }
    }
    String known =
        Arrays.stream(values())
            .filter(fault -> fault.headerValue != null)
            .map(fault -> fault.headerValue)
            .collect(Collectors.joining(", "));
    throw new InvalidRequest("Unknown " + HEADER + " '" + header + "'; use one of " + known + ".");
  }

  /** The fault a roll in [0, 1) lands on, given the configured rates; null for none. */
  static Fault draw(Settings settings, double roll) {
    double edge = settings.errorRate();
    if (roll < edge) {
      return ERROR;
    }
    edge += settings.resetRate();
    if (roll < edge) {
      return RESET;
    }
    edge += settings.hangRate();
    if (roll < edge) {
      return HANG;
    }
    edge += settings.malformedRate();
    return roll < edge ? MALFORMED : null;
  }
}
