package io.llmq.api.auth;

import jakarta.enterprise.context.RequestScoped;

/** Holds the authenticated {@link Caller} for the rest of the request. */
@RequestScoped
public class CurrentCaller {

  private Caller caller;

  void set(Caller caller) {
    this.caller = caller;
  }

  /** The caller; only endpoints marked {@link Requires} have one. */
  public Caller get() {
    if (caller == null) {
      throw new IllegalStateException("no authenticated caller on this endpoint");
    }
    return caller;
  }

  /** The caller, or {@code null} on an endpoint without one (admin, health, unmatched paths). */
  public Caller orNull() {
    return caller;
  }
}
