package io.llmq.api.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The local stand-in's arithmetic, on a clock the test moves. */
class LocalGcraTest {

  private final AtomicLong micros = new AtomicLong(1_000_000_000L);
  private final LocalGcra half = new LocalGcra(0.5, micros::get);

  private static Policy tenant(long quota) {
    return new Policy("tenant", "t", quota);
  }

  private void advanceSeconds(double seconds) {
    micros.addAndGet((long) (seconds * 1_000_000));
  }

  @Test
  void aReplicaAdmitsItsShareOfTheBurstThenOneEveryIntervalOfThatShare() {
    List<Policy> ten = List.of(tenant(10));
    for (int i = 0; i < 5; i++) {
      Verdict verdict = half.check(ten, true);
      assertTrue(verdict.admitted());
      assertTrue(verdict.local());
      assertEquals(4 - i, verdict.states().get(0).remaining());
    }
    Verdict refused = half.check(ten, true);
    assertFalse(refused.admitted());
    assertEquals(12, refused.retryAfterSeconds());

    advanceSeconds(11.9);
    assertFalse(half.check(ten, true).admitted());
    advanceSeconds(0.1);
    assertTrue(half.check(ten, true).admitted());
    assertFalse(half.check(ten, true).admitted());
  }

  @Test
  void aShareBelowOneRequestStillAdmitsOneAndThenWaitsLonger() {
    List<Policy> one = List.of(tenant(1));
    assertTrue(half.check(one, true).admitted());
    Verdict refused = half.check(one, true);
    assertFalse(refused.admitted());
    assertEquals(120, refused.retryAfterSeconds());
  }

  @Test
  void aRequestOneLimitRefusesCostsTheOtherNothing() {
    Policy tenant = tenant(20);
    Policy key = new Policy("key", "k", 2);
    assertTrue(half.check(List.of(tenant, key), true).admitted());
    Verdict refused = half.check(List.of(tenant, key), true);
    assertFalse(refused.admitted());
    assertEquals("key", refused.refusedBy());
    assertEquals(9, half.check(List.of(tenant), false).states().get(0).remaining());
  }
}
