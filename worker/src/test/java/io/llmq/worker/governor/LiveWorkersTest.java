package io.llmq.worker.governor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live-worker registry in the real Redis, with several {@link LiveWorkers} standing for worker
 * replicas (a registry of their own, heartbeats every second in tests), and the share each takes
 * from what it counted: 0.9 of each limit together, 0.1 / 4 for one not counted yet.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class LiveWorkersTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final double MARGIN = (1 - 0.9) / 4;

  @Inject ReactiveRedisDataSource redis;
  @Inject GovernorConfig config;
  @Inject MeterRegistry metrics;

  private String key;

  @BeforeEach
  void ownRegistry() {
    key = "llmq:workers:test-" + UUID.randomUUID();
  }

  private LiveWorkers worker(String id) {
    return new LiveWorkers(redis, () -> Duration.ofSeconds(2), config, key, id);
  }

  private static void beat(List<LiveWorkers> workers) {
    workers.forEach(worker -> worker.heartbeat().await().atMost(WAIT));
  }

  /** Heartbeats until every one of {@code workers} is counted by the others. */
  private static void counted(List<LiveWorkers> workers, double share) {
    Awaitility.await("counted by the others")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> {
          beat(workers);
          return workers.stream().allMatch(worker -> worker.share() == share);
        });
  }

  @Test
  void workersCountEachOtherAndEachTakesItsPartOnceTheOthersHaveCountedIt() {
    List<LiveWorkers> workers = List.of(worker("a"), worker("b"), worker("c"));
    beat(workers);
    beat(workers);
    workers.forEach(worker -> assertEquals(3, worker.live()));
    // Joined just now: another's last count may predate it, so it takes only the margin.
    workers.forEach(worker -> assertEquals(MARGIN, worker.share()));
    counted(workers, 0.9 / 3);
  }

  @Test
  void aWorkerThatLeavesIsNoLongerCounted() {
    LiveWorkers a = worker("a");
    LiveWorkers b = worker("b");
    counted(List.of(a, b), 0.9 / 2);
    b.leave(null);
    a.heartbeat().await().atMost(WAIT);
    assertEquals(1, a.live());
    assertEquals(0.9, a.share());
    // Leaving stops its heartbeats: it does not come back.
    b.heartbeat().await().atMost(WAIT);
    a.heartbeat().await().atMost(WAIT);
    assertEquals(1, a.live());
  }

  @Test
  void theEntryOfAWorkerThatStoppedLapsesAfterThreeIntervals() {
    LiveWorkers a = worker("a");
    LiveWorkers dead = worker("dead");
    beat(List.of(a, dead));
    long died = System.nanoTime();
    Awaitility.await("the dead worker's entry lapsed")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> {
          a.heartbeat().await().atMost(WAIT);
          return a.live() == 1;
        });
    // Three intervals of a second, on Redis's clock.
    assertTrue(Duration.ofNanos(System.nanoTime() - died).toMillis() >= 2_500);
  }

  @Test
  void whileRedisFailsAWorkerKeepsItsLastCountAndShare() {
    LiveWorkers a = worker("a");
    LiveWorkers b = worker("b");
    counted(List.of(a, b), 0.9 / 2);
    long contacts = a.contacts();
    // A value of the wrong type under the key makes the script fail, as an outage would.
    redis.value(String.class).set(key, "not a registry").await().atMost(WAIT);
    a.heartbeat().await().atMost(WAIT);
    assertEquals(2, a.live());
    assertEquals(0.9 / 2, a.share());
    assertEquals(contacts, a.contacts());
    // Redis is back, and empty: a's entry is new there, so it takes the margin until counted.
    redis.key().del(key).await().atMost(WAIT);
    a.heartbeat().await().atMost(WAIT);
    assertEquals(1, a.live());
    assertEquals(MARGIN, a.share());
    assertEquals(contacts + 1, a.contacts());
  }

  @Test
  void aWorkerThatNeverReachedRedisTakesOnlyTheMargin() {
    redis.value(String.class).set(key, "not a registry").await().atMost(WAIT);
    LiveWorkers alone = worker("started-in-an-outage");
    alone.heartbeat().await().atMost(WAIT);
    assertEquals(0, alone.live());
    assertEquals(MARGIN, alone.share());
    assertEquals(0, alone.contacts());
    redis.key().del(key).await().atMost(WAIT);
  }

  @Test
  void theAppsWorkerRegistersItselfAndShowsItsCount() {
    Awaitility.await("llmq.workers.live")
        .atMost(WAIT)
        .until(() -> metrics.get("llmq.workers.live").gauge().value() >= 1);
    assertTrue(metrics.get("llmq.governor.fallback.share").gauge().value() > 0);
  }
}
