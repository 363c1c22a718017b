package io.llmq.api.config;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Refuses to start a production api that nobody could administer. */
@ApplicationScoped
class StartupChecks {

  void onStart(@Observes StartupEvent start, ApiConfig config) {
    boolean missing = config.adminToken().map(String::isBlank).orElse(true);
    if (config.requireAdminToken() && missing) {
      throw new IllegalStateException(
          "LLMQ_ADMIN_TOKEN is not set: the prod profile needs an admin token.");
    }
  }
}
