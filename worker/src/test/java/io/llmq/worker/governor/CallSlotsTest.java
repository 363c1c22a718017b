package io.llmq.worker.governor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.llmq.worker.config.WorkerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.helpers.test.UniAssertSubscriber;
import io.vertx.mutiny.core.Vertx;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The cap on concurrent calls in the real Redis, with two {@link CallSlots} instances standing for
 * two worker replicas.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class CallSlotsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration PATIENT = Duration.ofSeconds(30);

  @Inject CallSlots replicaA;
  @Inject ReactiveRedisDataSource redis;
  @Inject Vertx vertx;
  @Inject FallbackShare shares;
  @Inject WorkerConfig worker;

  private CallSlots replicaB() {
    return new CallSlots(
        redis, vertx, shares, worker, () -> Duration.ofSeconds(2), new SimpleMeterRegistry());
  }

  @Test
  void replicasShareTheCapAndAFreedSlotGoesToTheOldestWaiterElsewhere() {
    String provider = "cap-" + UUID.randomUUID();
    CallSlots replicaB = replicaB();
    CallSlots.Slot one = replicaA.acquire(provider, 2, "a1", PATIENT).await().atMost(WAIT);
    CallSlots.Slot two = replicaA.acquire(provider, 2, "a2", PATIENT).await().atMost(WAIT);
    UniAssertSubscriber<CallSlots.Slot> first =
        replicaB
            .acquire(provider, 2, "b1", PATIENT)
            .subscribe()
            .withSubscriber(UniAssertSubscriber.create());
    UniAssertSubscriber<CallSlots.Slot> second =
        replicaB
            .acquire(provider, 2, "b2", PATIENT)
            .subscribe()
            .withSubscriber(UniAssertSubscriber.create());
    Awaitility.await().during(Duration.ofMillis(1500)).atMost(WAIT).until(() -> true);
    assertFalse(first.getItem() != null, "both slots are taken on the other replica");

    replicaA.release(one).await().atMost(WAIT);
    first.awaitItem(WAIT);
    assertFalse(second.getItem() != null, "one slot freed, one waiter served");

    replicaA.release(two).await().atMost(WAIT);
    second.awaitItem(WAIT);
  }

  @Test
  void aWaiterGivesUpAfterItsPatience() {
    String provider = "cap-" + UUID.randomUUID();
    replicaA.acquire(provider, 1, "held", PATIENT).await().atMost(WAIT);
    Throwable failure =
        replicaB()
            .acquire(provider, 1, "late", Duration.ofMillis(300))
            .subscribe()
            .withSubscriber(UniAssertSubscriber.create())
            .awaitFailure(WAIT)
            .getFailure();
    assertInstanceOf(TimeoutException.class, failure);
  }

  @Test
  void aSlotNotRenewedLapsesSoADeadWorkersCallsFreeTheirSlots() {
    String provider = "cap-" + UUID.randomUUID();
    CallSlots.Slot dead = replicaA.acquire(provider, 1, "dead", PATIENT).await().atMost(WAIT);
    // Held for one worker lease (3 s in tests) and never renewed: the other replica gets it then.
    replicaB().acquire(provider, 1, "next", PATIENT).await().atMost(WAIT);
    assertFalse(replicaA.renew(dead, 1).await().atMost(WAIT), "its hold lapsed and was taken");
  }

  @Test
  void aHeldSlotIsRenewed() {
    String provider = "cap-" + UUID.randomUUID();
    CallSlots.Slot slot = replicaA.acquire(provider, 1, "live", PATIENT).await().atMost(WAIT);
    assertTrue(replicaA.renew(slot, 1).await().atMost(WAIT));
    replicaA.release(slot).await().atMost(WAIT);
  }
}
