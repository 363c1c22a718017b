package io.llmq.api.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.TestServices;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The limiter against a real Redis: the GCRA script's counts and waits, and the local fallback when
 * Redis is unreachable (a closed port), silent (a server that never answers) or cut off and back.
 */
class GcraLimiterTest {

  private static final Duration TIMEOUT = Duration.ofMillis(200);
  private static final URI REDIS = URI.create(TestServices.get().redisUrl());

  private static Vertx vertx;
  private final AtomicInteger localDecisions = new AtomicInteger();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.closeAndAwait();
  }

  private GcraLimiter limiter(int port) {
    Redis redis =
        Redis.createClient(
            vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:" + port));
    return new GcraLimiter(redis, TIMEOUT, 0.5, localDecisions::incrementAndGet);
  }

  private static GcraLimiter shared() {
    Redis redis = Redis.createClient(vertx, REDIS.toString());
    return new GcraLimiter(redis, Duration.ofSeconds(2), 0.5, () -> {});
  }

  private static Policy tenant(String id, long quota) {
    return new Policy("tenant", Policy.PREFIX + "{" + id + "}:tenant", quota);
  }

  private static Policy key(String id, long quota) {
    return new Policy("key", Policy.PREFIX + "{" + id + "}:key:k", quota);
  }

  private static String fresh() {
    return "test-" + UUID.randomUUID();
  }

  private static Verdict charge(GcraLimiter limiter, List<Policy> policies) {
    return limiter.check(policies, true).await().atMost(Duration.ofSeconds(5));
  }

  @Test
  void aBurstOfTheQuotaIsAdmittedThenTheWaitForTheNextIsSaid() {
    GcraLimiter limiter = shared();
    List<Policy> ten = List.of(tenant(fresh(), 10));
    for (int i = 0; i < 10; i++) {
      Verdict verdict = charge(limiter, ten);
      assertTrue(verdict.admitted(), "request " + i);
      assertFalse(verdict.local());
      assertEquals(9 - i, verdict.states().get(0).remaining());
    }
    Verdict refused = charge(limiter, ten);
    assertFalse(refused.admitted());
    Verdict.State state = refused.states().get(0);
    // One request comes back every 6 s; the first of the burst was counted moments ago.
    assertTrue(state.waitMicros() > 5_000_000 && state.waitMicros() <= 6_000_000);
    assertEquals(Math.ceilDiv(state.waitMicros(), 1_000_000), refused.retryAfterSeconds());
    assertEquals(state.waitMicros(), state.resetMicros());
    assertEquals(
        "\"tenant\";r=0;t=" + refused.retryAfterSeconds(), refused.headers().get("RateLimit"));
    assertEquals("\"tenant\";q=10;w=60", refused.headers().get("RateLimit-Policy"));
  }

  @Test
  void aRequestIsChargedToBothPoliciesOrToNeither() {
    GcraLimiter limiter = shared();
    String id = fresh();
    List<Policy> both = List.of(tenant(id, 10), key(id, 3));
    for (int i = 0; i < 3; i++) {
      assertTrue(charge(limiter, both).admitted());
    }
    Verdict refused = charge(limiter, both);
    assertFalse(refused.admitted());
    assertEquals("key", refused.refusedBy());
    assertEquals(7, refused.states().get(0).remaining());
    assertEquals(0, refused.states().get(0).waitMicros());
    assertEquals(0, refused.states().get(1).remaining());
    // 20 s per request for the key; its first was counted moments ago.
    assertTrue(refused.retryAfterSeconds() >= 19 && refused.retryAfterSeconds() <= 20);
    assertTrue(
        refused.headers().get("RateLimit-Policy").equals("\"tenant\";q=10;w=60, \"key\";q=3;w=60"));

    List<Policy> tenantOnly = List.of(tenant(id, 10));
    for (int i = 0; i < 7; i++) {
      assertTrue(charge(limiter, tenantOnly).admitted(), "tenant request " + i);
    }
    assertFalse(charge(limiter, tenantOnly).admitted());
  }

  @Test
  void aPeekCountsNothing() {
    GcraLimiter limiter = shared();
    List<Policy> two = List.of(tenant(fresh(), 2));
    Verdict idle = limiter.check(two, false).await().indefinitely();
    assertEquals(2, idle.states().get(0).remaining());
    assertEquals("\"tenant\";r=2;t=0", idle.headers().get("RateLimit"));
    for (int i = 0; i < 5; i++) {
      assertTrue(limiter.check(two, false).await().indefinitely().admitted());
    }
    assertTrue(charge(limiter, two).admitted());
    assertEquals(1, limiter.check(two, false).await().indefinitely().states().get(0).remaining());
  }

  @Test
  void theQuotaRefillsOneRequestAtATime() {
    GcraLimiter limiter = shared();
    List<Policy> perHalfSecond = List.of(tenant(fresh(), 120));
    int admitted = 0;
    Verdict verdict = charge(limiter, perHalfSecond);
    while (verdict.admitted() && admitted < 1_000) {
      admitted++;
      verdict = charge(limiter, perHalfSecond);
    }
    assertTrue(admitted >= 120);
    assertTrue(verdict.states().get(0).waitMicros() <= 500_000);
    assertEquals(1, verdict.retryAfterSeconds());

    long refusedAt = System.nanoTime();
    Awaitility.await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> charge(limiter, perHalfSecond).admitted());
    assertTrue(System.nanoTime() - refusedAt < Duration.ofMillis(1_500).toNanos());
    assertFalse(charge(limiter, perHalfSecond).admitted(), "one came back, not a window's worth");
  }

  @Test
  void aLimitChangedByTheAdminAppliesToTheNextRequestWithTheSameShareSpent() {
    GcraLimiter limiter = shared();
    String id = fresh();
    for (int i = 0; i < 5; i++) {
      assertTrue(charge(limiter, List.of(tenant(id, 10))).admitted());
    }
    // Half of the minute's quota is spent: at 5 per minute that leaves 2 whole requests.
    assertTrue(charge(limiter, List.of(tenant(id, 5))).admitted());
    assertTrue(charge(limiter, List.of(tenant(id, 5))).admitted());
    assertFalse(charge(limiter, List.of(tenant(id, 5))).admitted());
    assertTrue(charge(limiter, List.of(tenant(id, 20))).admitted());
  }

  @Test
  void unreachableRedisFallsBackToTheLocalShareOfTheLimit() throws IOException {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    GcraLimiter limiter = limiter(closed);
    List<Policy> ten = List.of(tenant(fresh(), 10));
    for (int i = 0; i < 5; i++) {
      Verdict verdict = charge(limiter, ten);
      assertTrue(verdict.admitted());
      assertTrue(verdict.local());
    }
    Verdict refused = charge(limiter, ten);
    assertFalse(refused.admitted());
    assertEquals(12, refused.retryAfterSeconds());
    assertEquals(6, localDecisions.get());
  }

  @Test
  void aSilentRedisCostsTheTimeoutOnceThenTheLocalLimiterAnswersAtOnce() throws IOException {
    try (TcpSwitch silent = new TcpSwitch(null, 0)) {
      GcraLimiter limiter = limiter(silent.port());
      List<Policy> ten = List.of(tenant(fresh(), 10));
      long start = System.nanoTime();
      Verdict first = charge(limiter, ten);
      assertTrue(first.admitted() && first.local());
      assertTrue(System.nanoTime() - start >= TIMEOUT.toNanos());

      start = System.nanoTime();
      Verdict second = charge(limiter, ten);
      assertTrue(second.admitted() && second.local());
      assertTrue(System.nanoTime() - start < TIMEOUT.toNanos(), "no second wait for Redis");
    }
  }

  @Test
  void theSharedCountResumesWhenRedisIsBack() throws IOException {
    try (TcpSwitch link = new TcpSwitch(REDIS.getHost(), REDIS.getPort())) {
      GcraLimiter limiter = limiter(link.port());
      List<Policy> ten = List.of(tenant(fresh(), 10));
      // The first check may spend its time connecting; from then on Redis answers.
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> !charge(limiter, ten).local());

      link.cut();
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> charge(limiter, ten).local());

      link.restore();
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> !charge(limiter, List.of(tenant(fresh(), 10))).local());
    }
  }
}
