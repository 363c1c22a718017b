package io.llmq.worker.governor;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code llmq_governor_utilization{bucket}}: how much of a governor bucket's minute is used, {@code
 * (limit - level) / limit} of its tokens or of its requests, whichever is higher (above 1 when the
 * bucket is in debt), for every bucket this worker reserved in within the last hour; {@code bucket}
 * is the key without its prefix ({@code provider:openai}, {@code model:openai:gpt-4o}, {@code
 * tenant:<id>}; tenants only while {@code llmq.metrics.tenant-label} is on). The levels are read
 * from Redis by one scheduled task ({@code llmq.metrics.backlog-interval}), one {@code HMGET} per
 * bucket, never per job; a reservation only notes its buckets in a map.
 */
@ApplicationScoped
public class BucketUse {

  private static final long FORGET_AFTER_MS = 3_600_000;

  private final class Tracked {
    volatile Governor.Bucket bucket;
    volatile long lastSeen;
    volatile double value;
    Gauge gauge;
  }

  private final ReactiveRedisDataSource redis;
  private final MeterRegistry metrics;
  private final boolean tenantLabel;
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
  private final AtomicBoolean refreshing = new AtomicBoolean();

  BucketUse(
      ReactiveRedisDataSource redis,
      MeterRegistry metrics,
      @ConfigProperty(name = "llmq.metrics.tenant-label", defaultValue = "true")
          boolean tenantLabel) {
    this.redis = redis;
    this.metrics = metrics;
    this.tenantLabel = tenantLabel;
  }

  /** A reservation charged these buckets. */
  void reserved(List<Governor.Bucket> buckets) {
    long now = System.currentTimeMillis();
    for (Governor.Bucket bucket : buckets) {
      if (!bucket.limited() && !bucket.upstream()) {
        continue;
      }
      if (!bucket.upstream() && !tenantLabel) {
        continue;
      }
      Tracked entry = tracked.computeIfAbsent(bucket.key(), key -> track(key, bucket));
      entry.bucket = bucket;
      entry.lastSeen = now;
    }
  }

  private Tracked track(String key, Governor.Bucket bucket) {
    Tracked entry = new Tracked();
    entry.bucket = bucket;
    entry.gauge =
        Gauge.builder("llmq.governor.utilization", entry, e -> e.value)
            .description("Used share of a governor bucket's minute (tokens or requests)")
            .tag("bucket", key.substring(Governor.PREFIX.length()))
            .register(metrics);
    return entry;
  }

  @Scheduled(
      every = "${llmq.metrics.backlog-interval:10s}",
      delayed = "1s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> refresh() {
    if (tracked.isEmpty() || !refreshing.compareAndSet(false, true)) {
      return Uni.createFrom().voidItem();
    }
    long now = System.currentTimeMillis();
    tracked
        .entrySet()
        .removeIf(e -> {
          if (now - e.getValue().lastSeen > FORGET_AFTER_MS) {
            metrics.remove(e.getValue().gauge);
            return true;
          }
          return false;
        });
    return Multi.createFrom()
        .iterable(List.copyOf(tracked.values()))
        .onItem()
        .transformToUniAndConcatenate(this::read)
        .collect()
        .last()
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull()
        .eventually(() -> refreshing.set(false));
  }

  private Uni<Void> read(Tracked entry) {
    Governor.Bucket bucket = entry.bucket;
    return redis
        .execute("HMGET", bucket.key(), "t", "r", "ts", "tpm", "rpm")
        .invoke(fields -> entry.value = utilization(bucket, fields, System.currentTimeMillis()))
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull();
  }

  /** As {@code reserve.lua} refills: level = min(limit, stored + elapsed × limit / minute). */
  static double utilization(Governor.Bucket bucket, Response fields, long now) {
    long tpm = fields.get(3) != null ? fields.get(3).toLong() : bucket.tokensPerMinute();
    long rpm = fields.get(4) != null ? fields.get(4).toLong() : bucket.requestsPerMinute();
    long ts = fields.get(2) != null ? fields.get(2).toLong() : now;
    double elapsed = Math.max(0, now - ts);
    double used = 0;
    if (tpm > 0 && fields.get(0) != null) {
      double level = Math.min(tpm, fields.get(0).toDouble() + elapsed * tpm / 60000.0);
      used = Math.max(used, (tpm - level) / tpm);
    }
    if (rpm > 0 && fields.get(1) != null) {
      double level = Math.min(rpm, fields.get(1).toDouble() + elapsed * rpm / 60000.0);
      used = Math.max(used, (rpm - level) / rpm);
    }
    return used;
  }
}
