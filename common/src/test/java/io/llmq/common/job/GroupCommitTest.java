package io.llmq.common.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

  /** Statements that end when the test says, recording what each carried. */
  private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

  private final List<UniEmitter<? super List<String>>> open = new CopyOnWriteArrayList<>();

  private Uni<List<String>> statement(List<Integer> writes) {
    batches.add(List.copyOf(writes));
    return Uni.createFrom().emitter(open::add);
  }

  private static List<String> answers(List<Integer> writes) {
    List<String> answers = new ArrayList<>();
    writes.forEach(write -> answers.add("r" + write));
    return answers;
  }

  @Test
  void writesAskedForWhileOneRunsGoTogetherInTheNext() {
    GroupCommit<Integer, String> commits = new GroupCommit<>(this::statement, 3, 1);
    List<CompletableFuture<String>> results = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      results.add(commits.submit(i).subscribeAsCompletionStage());
    }
    assertEquals(List.of(List.of(0)), batches, "the first goes at once, alone");
    open.get(0).complete(answers(batches.get(0)));
    assertEquals(List.of(1, 2, 3), batches.get(1), "at most the batch's size");
    open.get(1).complete(answers(batches.get(1)));
    assertEquals(List.of(4, 5), batches.get(2));
    open.get(2).complete(answers(batches.get(2)));
    for (int i = 0; i < 6; i++) {
      assertEquals("r" + i, results.get(i).join(), "each write gets its own result");
    }
  }

  @Test
  void aFailedStatementFailsEveryWriteInItAndTheNextStillRuns() {
    GroupCommit<Integer, String> commits = new GroupCommit<>(this::statement, 10, 1);
    CompletableFuture<String> first = commits.submit(1).subscribeAsCompletionStage();
    CompletableFuture<String> second = commits.submit(2).subscribeAsCompletionStage();
    CompletableFuture<String> third = commits.submit(3).subscribeAsCompletionStage();
    open.get(0).fail(new IllegalStateException("database away"));
    assertThrows(Exception.class, first::join);
    assertEquals(List.of(2, 3), batches.get(1));
    open.get(1).complete(answers(batches.get(1)));
    assertEquals("r2", second.join());
    assertEquals("r3", third.orTimeout(1, java.util.concurrent.TimeUnit.SECONDS).join());
  }

  @Test
  void upToInFlightStatementsRunAtOnce() {
    GroupCommit<Integer, String> commits = new GroupCommit<>(this::statement, 10, 2);
    commits.submit(1).subscribeAsCompletionStage();
    commits.submit(2).subscribeAsCompletionStage();
    commits.submit(3).subscribeAsCompletionStage();
    assertEquals(List.of(List.of(1), List.of(2)), batches);
    open.get(0).complete(answers(batches.get(0)));
    assertEquals(List.of(3), batches.get(2));
  }
}
