package io.llmq.simulator.call;

/** A request body the provider would refuse with a 400; the message is sent back to the caller. */
public final class InvalidRequest extends RuntimeException {

  public InvalidRequest(String message) {
    super(message, null, false, false);
  }

  public static void unless(boolean condition, String message) {
    if (!condition) {
      throw new InvalidRequest(message);
    }
  }
}
