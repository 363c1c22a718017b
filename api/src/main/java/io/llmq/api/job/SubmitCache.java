package io.llmq.api.job;

import io.llmq.common.cache.CacheConfig;
import io.llmq.common.cache.CacheKey;
import io.llmq.common.cache.CachedAnswer;
import io.llmq.common.cache.CachedAnswers;
import io.llmq.common.job.CacheMode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * The cache lookup at submit: a job in {@code default} cache mode whose answer is already in the
 * cache is answered by the api itself, so a hit costs one Redis read and one insert instead of a
 * trip through the queue and a worker (SPEC §6). The key and the entry are the worker's ({@link
 * CacheKey}, {@link CachedAnswers}); {@code refresh} and {@code bypass} jobs are never answered
 * here, and a job that misses goes the normal way, where the worker looks again (single flight
 * included).
 *
 * <p>Redis never fails a submit: a lookup that fails or takes longer than {@code
 * llmq.cache.timeout} counts as a miss, is counted in {@code llmq.cache.unavailable} and the job is
 * queued as usual.
 */
@ApplicationScoped
class SubmitCache {

  private final CacheConfig config;
  private final CachedAnswers answers;
  private final Counter unavailable;

  SubmitCache(CacheConfig config, CachedAnswers answers, MeterRegistry metrics) {
    this.config = config;
    this.answers = answers;
    this.unavailable = metrics.counter("llmq.cache.unavailable");
  }

  /** The stored answer to {@code job}, if it may be answered from the cache and one is there. */
  Uni<Optional<CachedAnswer>> lookup(NewJob job) {
    if (!config.enabled() || !CacheMode.DEFAULT.wire().equals(job.cacheMode())) {
      return Uni.createFrom().item(Optional.empty());
    }
    CacheKey key = CacheKey.of(config.scope(), job.tenantId(), job.request());
    return answers
        .get(key)
        .onFailure()
        .recoverWithItem(failure -> {
          unavailable.increment();
          Log.debugf(
              "Job(id=%s) cache lookup failed (%s); queued as usual", job.id(), failure.toString());
          return Optional.empty();
        });
  }
}
