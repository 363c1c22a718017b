package io.llmq.worker.fallback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The shared breaker against real Redis, with {@link FallbackProfile}'s settings: 3 failures in a
 * row open it, for 2 s, then 1 probe at a time. Each test has a provider of its own.
 */
@QuarkusTest
@TestProfile(FallbackProfile.class)
@QuarkusTestResource(LlmqTestResource.class)
class CircuitBreakerTest {

  @Inject CircuitBreaker breaker;

  private static String provider() {
    return "cbt-" + UUID.randomUUID();
  }

  private CircuitBreaker.Pass allow(String provider, String call) {
    return breaker.allow(provider, call).await().indefinitely();
  }

  private void fail(String provider, String call) {
    breaker.failed(allow(provider, call)).await().indefinitely();
  }

  @Test
  void aRunOfTransientFailuresOpensTheCircuitAndAnAnswerEndsTheRun() {
    String provider = provider();
    fail(provider, "1");
    fail(provider, "2");
    breaker.succeeded(allow(provider, "3")).await().indefinitely();
    fail(provider, "4");
    fail(provider, "5");
    assertTrue(allow(provider, "6").go(), "two in a row since the answer: still closed");
    assertEquals(CircuitBreaker.State.CLOSED, breaker.stateOf(provider));

    fail(provider, "7");
    CircuitBreaker.Pass refused = allow(provider, "8");
    assertFalse(refused.go());
    assertTrue(refused.delay().compareTo(Duration.ofSeconds(2)) <= 0);
    assertEquals(CircuitBreaker.State.OPEN, breaker.stateOf(provider));
  }

  @Test
  void aReleasedCallNeitherAddsToTheRunNorEndsIt() {
    String provider = provider();
    fail(provider, "1");
    fail(provider, "2");
    breaker.released(allow(provider, "429")).await().indefinitely();
    fail(provider, "3");
    assertFalse(allow(provider, "4").go());
  }

  @Test
  void anOpenCircuitHalfOpensForOneProbeWhoseSuccessClosesIt() {
    String provider = provider();
    for (int i = 0; i < 3; i++) {
      fail(provider, "f" + i);
    }
    assertFalse(allow(provider, "early").go());

    CircuitBreaker.Pass probe =
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> allow(provider, "probe"), CircuitBreaker.Pass::go);
    assertTrue(probe.probe());
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.stateOf(provider));
    assertFalse(allow(provider, "second").go(), "one probe at a time");
    assertTrue(allow(provider, "probe").go(), "the probe asking again keeps its place");

    breaker.succeeded(probe).await().indefinitely();
    assertEquals(CircuitBreaker.State.CLOSED, breaker.stateOf(provider));
    assertTrue(allow(provider, "after").go());
    assertFalse(allow(provider, "after").probe());
  }

  @Test
  void aFailedProbeOpensTheCircuitAgainAndAReleasedOneLetsAnotherProbe() {
    String provider = provider();
    for (int i = 0; i < 3; i++) {
      fail(provider, "f" + i);
    }
    CircuitBreaker.Pass first =
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> allow(provider, "first"), CircuitBreaker.Pass::go);
    breaker.released(first).await().indefinitely();
    CircuitBreaker.Pass second = allow(provider, "second");
    assertTrue(second.probe(), "the released probe's place went to the next call");

    breaker.failed(second).await().indefinitely();
    assertEquals(CircuitBreaker.State.OPEN, breaker.stateOf(provider));
    assertFalse(allow(provider, "third").go());
  }

  @Test
  void anAnswerOfACallThatWasNoProbeLeavesAHalfOpenCircuitAlone() {
    String provider = provider();
    CircuitBreaker.Pass old = allow(provider, "old");
    for (int i = 0; i < 3; i++) {
      fail(provider, "f" + i);
    }
    CircuitBreaker.Pass probe =
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> allow(provider, "probe"), CircuitBreaker.Pass::go);
    breaker.succeeded(old).await().indefinitely();
    breaker.failed(old).await().indefinitely();
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.stateOf(provider));
    breaker.succeeded(probe).await().indefinitely();
    assertEquals(CircuitBreaker.State.CLOSED, breaker.stateOf(provider));
  }
}
