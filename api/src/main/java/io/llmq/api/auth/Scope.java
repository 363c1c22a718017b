package io.llmq.api.auth;

import java.util.Optional;

/** What an API key may do. */
public enum Scope {
  JOBS_WRITE("jobs:write"),
  JOBS_READ("jobs:read"),
  USAGE_READ("usage:read");

  private final String wire;

  Scope(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<Scope> fromWire(String value) {
    for (Scope scope : values()) {
      if (scope.wire.equals(value)) {
        return Optional.of(scope);
      }
    }
    return Optional.empty();
  }
}
