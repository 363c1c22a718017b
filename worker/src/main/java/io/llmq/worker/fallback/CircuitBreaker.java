package io.llmq.worker.fallback;

import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.redis.LuaScript;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The providers' circuit breakers ({@code governor/circuit.lua}), one per provider, shared by every
 * worker replica through Redis: closed until a run of transient failures opens it, open for {@code
 * open-duration}, then half-open with a bounded number of probes. While Redis is unreachable the
 * breakers fail open: every call goes, nothing is counted, as the governor's local fallback lets
 * calls go rather than stop them. Metrics: {@code llmq.circuit.state} per provider (0 closed, 1
 * half-open, 2 open, as this replica last saw it) and {@code llmq.circuit.transitions} (tags {@code
 * provider}, {@code to}; each transition counted once, by the replica that made it).
 */
@Startup
@ApplicationScoped
public class CircuitBreaker {

  static final String PREFIX = "llmq:circuit:";

  /** A breaker's state, with its gauge value. */
  public enum State {
    CLOSED(0),
    HALF_OPEN(1),
    OPEN(2);

    private final int gauge;

    State(int gauge) {
      this.gauge = gauge;
    }

    static State of(String wire) {
      return switch (wire) {
        case "open" -> OPEN;
        case "half_open" -> HALF_OPEN;
        default -> CLOSED;
      };
    }
  }

  /**
   * What the breaker said to one call: it goes ({@code probe} when it goes as a half-open probe),
   * or waits about {@code delay} before the circuit may let it through.
   */
  public record Pass(String provider, String callId, boolean go, boolean probe, Duration delay) {

    /** A call no breaker guards. */
    public static Pass free(String provider, String callId) {
      return new Pass(provider, callId, true, false, Duration.ZERO);
    }
  }

  private final ReactiveRedisDataSource redis;
  private final LuaScript script;
  private final FallbackConfig.Circuit config;
  private final MeterRegistry metrics;
  private final Map<String, AtomicInteger> states = new ConcurrentHashMap<>();
  private final AtomicLong lastWarning = new AtomicLong();

  CircuitBreaker(
      ReactiveRedisDataSource redis,
      RedisTimeout timeout,
      FallbackConfig config,
      MeterRegistry metrics) {
    this.redis = redis;
    this.script = new LuaScript("governor/circuit.lua", timeout);
    this.config = config.circuit();
    this.metrics = metrics;
    if (this.config.failuresToOpen() < 1) {
      throw new IllegalStateException("llmq.fallbacks.circuit.failures-to-open must be at least 1");
    }
    if (this.config.halfOpenProbes() < 1) {
      throw new IllegalStateException("llmq.fallbacks.circuit.half-open-probes must be at least 1");
    }
    if (!this.config.openDuration().isPositive() || !this.config.probeLease().isPositive()) {
      throw new IllegalStateException(
          "llmq.fallbacks.circuit.open-duration and probe-lease must be positive");
    }
  }

  /** Whether the breaker guards {@code provider}'s calls ({@code simulated}: see config). */
  public boolean guards(boolean simulated) {
    return config.enabled() && (!simulated || config.guardSimulated());
  }

  /** May the call {@code callId} go to {@code provider} now? */
  public Uni<Pass> allow(String provider, String callId) {
    return run("allow", provider, callId)
        .map(answer -> {
          String verdict = answer.get(1).toString();
          return switch (verdict) {
            case "go" -> Pass.free(provider, callId);
            case "probe" -> new Pass(provider, callId, true, true, Duration.ZERO);
            default ->
                new Pass(
                    provider,
                    callId,
                    false,
                    false,
                    Duration.ofMillis(Math.max(1, answer.get(2).toLong())));
          };
        })
        .onFailure()
        .recoverWithItem(failure -> {
          unreachable(failure);
          return Pass.free(provider, callId);
        });
  }

  /** The provider answered the call (any answer but a 429). */
  public Uni<Void> succeeded(Pass pass) {
    return report("success", pass);
  }

  /** The call failed transiently (5xx, timeout, broken connection). */
  public Uni<Void> failed(Pass pass) {
    return report("failure", pass);
  }

  /** The call ended without telling whether the provider is up (a 429, a cancel, no call). */
  public Uni<Void> released(Pass pass) {
    return pass.probe() ? report("release", pass) : Uni.createFrom().voidItem();
  }

  /** The breaker's state as this replica last saw it. */
  public State stateOf(String provider) {
    AtomicInteger gauge = states.get(provider);
    int value = gauge == null ? 0 : gauge.get();
    return value == 2 ? State.OPEN : value == 1 ? State.HALF_OPEN : State.CLOSED;
  }

  private Uni<Void> report(String operation, Pass pass) {
    return run(operation, pass.provider(), pass.callId())
        .replaceWithVoid()
        .onFailure()
        .recoverWithItem(failure -> {
          unreachable(failure);
          return null;
        });
  }

  private Uni<Response> run(String operation, String provider, String callId) {
    List<String> args =
        List.of(
            operation,
            callId,
            Integer.toString(config.failuresToOpen()),
            Long.toString(config.openDuration().toMillis()),
            Integer.toString(config.halfOpenProbes()),
            Long.toString(config.probeLease().toMillis()));
    return script
        .call(redis, List.of(PREFIX + provider, PREFIX + provider + ":probes"), args)
        .invoke(answer -> heard(provider, answer));
  }

  /** Keeps the gauge, and counts and logs a transition this call made. */
  private void heard(String provider, Response answer) {
    State state = State.of(answer.get(0).toString());
    gauge(provider).set(state.gauge);
    String entered = answer.get(3).toString();
    if (!entered.isEmpty()) {
      metrics.counter("llmq.circuit.transitions", "provider", provider, "to", entered).increment();
      Log.infof("Circuit of provider %s is now %s", provider, entered);
    }
  }

  private AtomicInteger gauge(String provider) {
    return states.computeIfAbsent(
        provider,
        name -> {
          AtomicInteger value = new AtomicInteger();
          Gauge.builder("llmq.circuit.state", value, AtomicInteger::get)
              .tag("provider", name)
              .description("0 closed, 1 half-open, 2 open")
              .register(metrics);
          return value;
        });
  }

  private void unreachable(Throwable failure) {
    long now = System.currentTimeMillis();
    long last = lastWarning.get();
    if (now - last > 60_000 && lastWarning.compareAndSet(last, now)) {
      Log.warnf("Circuit breakers fail open: Redis unreachable (%s)", failure.getMessage());
    }
  }
}
