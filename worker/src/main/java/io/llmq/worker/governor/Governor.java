package io.llmq.worker.governor;

import io.llmq.worker.provider.RateLimitSnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The global rate governor: token buckets in Redis, shared by every worker replica, one per
 * provider (tokens and requests per minute) and one per tenant with its own tokens-per-minute.
 * Before a call a job reserves its worst case and waits what the reservation says (arrival order,
 * no polling); after the call the reservation is settled against what the provider charged; headers
 * teach the buckets the provider's real limits and remaining budget; a 429 pauses the provider for
 * every replica. When Redis is unreachable, a {@link LocalBuckets} share of each limit stands in.
 */
@ApplicationScoped
public class Governor {

  static final String PREFIX = "llmq:governor:";

  private final ReactiveRedisDataSource redis;
  private final LocalBuckets local;
  private final Counter fallbacks;
  private final Script reserve = new Script("governor/reserve.lua");
  private final Script adjust = new Script("governor/adjust.lua");

  Governor(ReactiveRedisDataSource redis, GovernorConfig config, MeterRegistry metrics) {
    this.redis = redis;
    this.local = new LocalBuckets(config.fallbackShare());
    this.fallbacks = metrics.counter("llmq.governor.fallbacks");
  }

  /** A bucket: its Redis key and limits per minute (0 = not enforced). */
  public record Bucket(String key, long tokensPerMinute, long requestsPerMinute) {

    boolean limited() {
      return tokensPerMinute > 0 || requestsPerMinute > 0;
    }
  }

  public static Bucket provider(String name, long tokensPerMinute, long requestsPerMinute) {
    return new Bucket(PREFIX + "provider:" + name, tokensPerMinute, requestsPerMinute);
  }

  public static Bucket tenant(UUID tenantId, long tokensPerMinute) {
    return new Bucket(PREFIX + "tenant:" + tenantId, tokensPerMinute, 0);
  }

  /**
   * Charges {@code tokens} to the provider's bucket (always consulted, if only for a pause after a
   * 429) and to the tenant's when it has a limit; the reservation says how long to wait.
   *
   * @param provider the provider's bucket, {@code null} for one that needs no governing (the
   *     built-in simulator)
   * @param tenant the tenant's bucket, {@code null} for none
   */
  public Uni<Reservation> reserve(Bucket provider, Bucket tenant, long tokens) {
    List<Bucket> buckets = new ArrayList<>(2);
    if (provider != null) {
      buckets.add(provider);
    }
    if (tenant != null && tenant.limited()) {
      buckets.add(tenant);
    }
    if (buckets.isEmpty()) {
      return Uni.createFrom().item(Reservation.NONE);
    }
    List<String> keys = buckets.stream().map(Bucket::key).toList();
    List<String> args = new ArrayList<>();
    for (Bucket bucket : buckets) {
      args.add(Long.toString(tokens));
      args.add(Long.toString(bucket.tokensPerMinute()));
      args.add(Long.toString(bucket.requestsPerMinute()));
    }
    String providerKey = provider == null ? null : provider.key();
    String tenantKey = tenant != null && tenant.limited() ? tenant.key() : null;
    return run(reserve, keys, args)
        .map(waitMs ->
            new Reservation(providerKey, tenantKey, tokens, Duration.ofMillis(waitMs), false))
        .onFailure()
        .recoverWithItem(failure -> {
          fallbacks.increment();
          Log.warnf("Governor falls back to local buckets (Redis: %s)", failure.getMessage());
          long now = System.currentTimeMillis();
          long wait = 0;
          for (Bucket bucket : buckets) {
            wait =
                Math.max(
                    wait,
                    local.reserve(
                        bucket.key(),
                        tokens,
                        bucket.tokensPerMinute(),
                        bucket.requestsPerMinute(),
                        now));
          }
          return new Reservation(providerKey, tenantKey, tokens, Duration.ofMillis(wait), true);
        });
  }

  /** The call never happened (cancelled, lost a race, deferred): everything goes back. */
  public Uni<Void> refund(Reservation reservation) {
    return adjust(reservation, reservation.providerKey(), reservation.tokens(), 1)
        .chain(() -> adjust(reservation, reservation.tenantKey(), reservation.tokens(), 1));
  }

  /**
   * The call happened: each bucket gets back what was reserved beyond what was really spent
   * (negative: it is charged the difference).
   */
  public Uni<Void> settle(Reservation reservation, long providerCharge, long tenantCharge) {
    return adjust(reservation, reservation.providerKey(), reservation.tokens() - providerCharge, 0)
        .chain(() ->
            adjust(reservation, reservation.tenantKey(), reservation.tokens() - tenantCharge, 0));
  }

  /**
   * Teaches the provider's bucket what its response headers said: the real limits, the budget that
   * remains, and, after a 429, a pause every replica honours.
   */
  public Uni<Void> learn(Bucket provider, RateLimitSnapshot limits, Duration pause) {
    List<String> args =
        List.of(
            "0",
            "0",
            Long.toString(orZero(limits.tokenLimit())),
            Long.toString(orZero(limits.requestLimit())),
            Long.toString(limits.tokensRemaining() == null ? -1 : limits.tokensRemaining()),
            Long.toString(limits.requestsRemaining() == null ? -1 : limits.requestsRemaining()),
            Long.toString(pause == null ? 0 : pause.toMillis()));
    return run(adjust, List.of(provider.key()), args)
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull();
  }

  private Uni<Void> adjust(Reservation reservation, String key, long tokens, long requests) {
    if (key == null || (tokens == 0 && requests == 0)) {
      return Uni.createFrom().voidItem();
    }
    if (reservation.local()) {
      local.giveBack(key, tokens, requests);
      return Uni.createFrom().voidItem();
    }
    List<String> args =
        List.of(Long.toString(tokens), Long.toString(requests), "0", "0", "-1", "-1", "0");
    return run(adjust, List.of(key), args).replaceWithVoid().onFailure().recoverWithNull();
  }

  private Uni<Long> run(Script script, List<String> keys, List<String> args) {
    List<String> call = new ArrayList<>();
    call.add(script.sha);
    call.add(Integer.toString(keys.size()));
    call.addAll(keys);
    call.addAll(args);
    return redis
        .execute("EVALSHA", call.toArray(String[]::new))
        .onFailure(failure -> String.valueOf(failure.getMessage()).contains("NOSCRIPT"))
        .recoverWithUni(() -> {
          call.set(0, script.text);
          return redis.execute("EVAL", call.toArray(String[]::new));
        })
        .map(response -> response == null ? 0L : response.toLong());
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }

  /** A Lua script of this package, with its SHA-1 for EVALSHA. */
  private static final class Script {
    final String text;
    final String sha;

    Script(String resource) {
      try (InputStream in = Governor.class.getClassLoader().getResourceAsStream(resource)) {
        this.text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.sha = sha1(text);
    }

    private static String sha1(String text) {
      try {
        var digest = java.security.MessageDigest.getInstance("SHA-1");
        return java.util.HexFormat.of()
            .formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JVM has SHA-1", e);
      }
    }
  }
}
