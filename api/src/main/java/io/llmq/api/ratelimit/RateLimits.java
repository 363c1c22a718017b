package io.llmq.api.ratelimit;

import io.llmq.api.auth.Caller;
import io.llmq.api.config.ApiConfig;
import io.llmq.api.problem.ErrorCode;
import io.llmq.api.problem.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;

/**
 * The submit rate limits (SPEC §2 Auth): a tenant's {@code requests_per_minute}, and a key's own on
 * top of it, both enforced at {@code POST /v1/jobs} by one GCRA check in Redis shared by every api
 * replica ({@link GcraLimiter}). A limit of N allows a burst of N, then one every 60/N s.
 *
 * <p>What counts: every submit that passes validation, whatever comes of it afterwards (a new job,
 * an idempotent replay, an answer from the cache, a 409 for a reused key). The body is checked
 * first, so a 400 (or 401, 403, 413, 415) costs nothing; the limit is checked next, before anything
 * is stored, so a 429 creates nothing. Limits are read with the key at every request, so an admin's
 * change applies to the next one.
 */
@ApplicationScoped
public class RateLimits {

  private final GcraLimiter limiter;
  private final Refusals refusals;

  RateLimits(
      ReactiveRedisDataSource redis, ApiConfig config, Refusals refusals, MeterRegistry metrics) {
    Counter fallbacks = metrics.counter("llmq.ratelimit.fallbacks");
    ApiConfig.RateLimitSettings settings = config.rateLimits();
    this.limiter =
        new GcraLimiter(
            redis.getRedis(), settings.timeout(), settings.fallbackShare(), fallbacks::increment);
    this.refusals = refusals;
  }

  /**
   * Counts one submit against the caller's limits. Fails with a 429 {@code rate_limited} problem
   * (with {@code Retry-After} and the rate-limit headers) when any of them is spent, and then
   * nothing is counted; otherwise the verdict gives the answer's headers.
   */
  public Uni<Verdict> admit(Caller caller) {
    return limiter
        .check(Policy.of(caller), true)
        .map(verdict -> {
          if (verdict.admitted()) {
            return verdict;
          }
          refusals.rateLimited(caller.tenantId());
          throw refusal(verdict);
        });
  }

  /**
   * Where the caller's limits stand, without counting anything (for the headers of other answers).
   */
  public Uni<Verdict> peek(Caller caller) {
    return limiter.check(Policy.of(caller), false);
  }

  private static ProblemException refusal(Verdict verdict) {
    long retryAfter = verdict.retryAfterSeconds();
    Map<String, String> headers = new HashMap<>(verdict.headers());
    headers.put("Retry-After", Long.toString(retryAfter));
    String whose = "key".equals(verdict.refusedBy()) ? "this API key's" : "the tenant's";
    return new ProblemException(
        ErrorCode.RATE_LIMITED,
        "Too many submits: "
            + whose
            + " requests_per_minute limit is reached; retry in "
            + retryAfter
            + " s.",
        headers);
  }
}
