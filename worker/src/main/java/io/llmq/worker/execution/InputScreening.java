package io.llmq.worker.execution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.worker.guardrails.InputScreens;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * The executor's screening stage: runs the input screens a job still needs ({@link InputScreens})
 * and records their verdicts on the job before anything else happens to it, so a redelivered
 * message finds them and does not screen again.
 */
@ApplicationScoped
class InputScreening {

  /**
   * The job with its verdicts, and why it must fail {@code content_blocked} (empty: it goes on).
   */
  record Screened(StoredJob job, Optional<String> blocked) {}

  private final InputScreens screens;
  private final JobStore store;

  InputScreening(InputScreens screens, JobStore store) {
    this.screens = screens;
    this.store = store;
  }

  /** Whether the job has a screen to run, or a verdict that blocks it. */
  boolean due(StoredJob job) {
    return screens.due(job.policies(), job.guardrails());
  }

  /** Screens {@code request}, the job's chat request as read; the screens only read it. */
  Uni<Screened> screen(StoredJob job, ObjectNode request) {
    return screens
        .screen(job.policies(), job.guardrails(), request)
        .call(screening ->
            screening.guardrails().equals(job.guardrails())
                ? Uni.createFrom().voidItem()
                : store.recordGuardrails(job.id(), screening.guardrails()))
        .map(screening ->
            new Screened(job.withGuardrails(screening.guardrails()), screening.blocked()));
  }
}
