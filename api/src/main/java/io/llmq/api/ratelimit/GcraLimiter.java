package io.llmq.api.ratelimit;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * GCRA over Redis ({@code ratelimit/gcra.lua}): one script checks every policy of a request and
 * charges them all or none, with Redis's clock, so every api replica shares one count. When Redis
 * fails or takes longer than {@code timeout}, a {@link LocalGcra} share of each limit decides
 * instead (never an error, never unlimited), and keeps deciding for a second before Redis is tried
 * again, by one request at a time, so an outage costs each request the timeout once at most. An
 * outage is logged when it starts and when it ends, not per request. A check that timed out may
 * still reach Redis later and be counted there too: it errs towards refusing.
 */
final class GcraLimiter {

  private static final String SCRIPT = "ratelimit/gcra.lua";
  private static final long RECHECK_NANOS = Duration.ofSeconds(1).toNanos();

  private final Redis redis;
  private final Duration timeout;
  private final LocalGcra local;
  private final Runnable onLocal;
  private final String text;
  private final String sha;
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean probing = new AtomicBoolean();
  private volatile long recheckAt;

  /**
   * @param onLocal called for every decision taken locally
   */
  GcraLimiter(Redis redis, Duration timeout, double fallbackShare, Runnable onLocal) {
    this.redis = redis;
    this.timeout = timeout;
    this.local = new LocalGcra(fallbackShare, () -> System.nanoTime() / 1000);
    this.onLocal = onLocal;
    this.text = load();
    this.sha = sha1(text);
  }

  /** Checks the policies; with {@code charge}, an admitted request is counted in all of them. */
  Uni<Verdict> check(List<Policy> policies, boolean charge) {
    if (policies.isEmpty()) {
      return Uni.createFrom().item(Verdict.UNLIMITED);
    }
    if (down.get() && !mayProbe()) {
      return Uni.createFrom().item(() -> locally(policies, charge));
    }
    Context context = Vertx.currentContext();
    return shared(policies, charge)
        .ifNoItem()
        .after(timeout)
        .fail()
        .map(response -> {
          reachable();
          return verdict(policies, response);
        })
        .onFailure()
        .recoverWithUni(failure -> {
          unreachable(failure);
          // A timeout fires on another thread: the request goes on on its own context.
          return Uni.createFrom().item(() -> locally(policies, charge)).emitOn(on(context));
        });
  }

  private Uni<Response> shared(List<Policy> policies, boolean charge) {
    return redis
        .send(request(Command.EVALSHA, sha, policies, charge))
        .onFailure(failure -> String.valueOf(failure.getMessage()).contains("NOSCRIPT"))
        .recoverWithUni(() -> redis.send(request(Command.EVAL, text, policies, charge)));
  }

  private static Request request(
      Command command, String script, List<Policy> policies, boolean charge) {
    Request request = Request.cmd(command).arg(script).arg(policies.size());
    policies.forEach(policy -> request.arg(policy.key()));
    request.arg(charge ? 1 : 0);
    policies.forEach(policy -> request.arg(policy.intervalMicros()).arg(policy.burstMicros()));
    return request;
  }

  private static Verdict verdict(List<Policy> policies, Response response) {
    List<Verdict.State> states = new ArrayList<>(policies.size());
    for (int i = 0; i < policies.size(); i++) {
      states.add(
          new Verdict.State(
              policies.get(i),
              response.get(1 + 3 * i).toLong(),
              response.get(2 + 3 * i).toLong(),
              response.get(3 + 3 * i).toLong()));
    }
    return new Verdict(response.get(0).toInteger() == 1, states, false);
  }

  private Verdict locally(List<Policy> policies, boolean charge) {
    onLocal.run();
    return local.check(policies, charge);
  }

  /** Whether this request may try Redis again during an outage: one at a time, once a second. */
  private boolean mayProbe() {
    return System.nanoTime() - recheckAt >= 0 && probing.compareAndSet(false, true);
  }

  private void reachable() {
    probing.set(false);
    if (down.compareAndSet(true, false)) {
      Log.info("Submit rate limits are shared through Redis again");
    }
  }

  private void unreachable(Throwable failure) {
    recheckAt = System.nanoTime() + RECHECK_NANOS;
    probing.set(false);
    if (down.compareAndSet(false, true)) {
      Log.warnf(
          "Submit rate limits fall back to this replica's share of each limit until Redis answers"
              + " again: a check failed or took over %d ms (%s)",
          timeout.toMillis(), failure.toString());
    }
  }

  private static Executor on(Context context) {
    return context == null ? Runnable::run : task -> context.runOnContext(ignored -> task.run());
  }

  private static String load() {
    try (InputStream in = GcraLimiter.class.getClassLoader().getResourceAsStream(SCRIPT)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }
}
