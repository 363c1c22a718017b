package io.llmq.api.events;

import jakarta.enterprise.context.RequestScoped;

/** Carries the {@link Opening} from {@link EventsGuard} to {@link JobEventsResource}. */
@RequestScoped
class OpeningHolder {

  private Opening opening;

  void set(Opening opening) {
    this.opening = opening;
  }

  Opening get() {
    if (opening == null) {
      throw new IllegalStateException("no stream opening on this request");
    }
    return opening;
  }
}
