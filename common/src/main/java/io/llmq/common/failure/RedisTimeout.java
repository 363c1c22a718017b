package io.llmq.common.failure;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * How long a job's path waits for one Redis command ({@code llmq.redis.timeout}). A Redis that
 * refuses connections fails a command at once; one that hangs (a stalled host, a full network
 * buffer) would hold the job, and its message, indefinitely. Past the timeout the command fails
 * with a {@link TimeoutException}, which {@link Outages} counts as an outage, so each caller falls
 * back as it does when Redis is down. The cache keeps its own {@code llmq.cache.timeout}.
 */
@ConfigMapping(prefix = "llmq.redis")
public interface RedisTimeout {

  /** Longest wait for one command. Default {@code 2s}. */
  @WithDefault("2s")
  Duration timeout();

  /** {@code command}, failing with a {@link TimeoutException} if it has not answered in time. */
  default <T> Uni<T> bound(Uni<T> command) {
    Duration limit = timeout();
    return command
        .ifNoItem()
        .after(limit)
        .failWith(() -> new TimeoutException("Redis did not answer within " + limit));
  }
}
