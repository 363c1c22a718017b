package io.llmq.common.governor;

import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobView;
import io.llmq.common.redis.LuaScript;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Where a queued job stands, from the governor's waiting room ({@code governor/room.lua}): how many
 * calls are ahead of it in the fair order, and when it should start, the time until the provider's
 * buckets could hold those calls and it (refill, pauses). A queued job that is not in a room (its
 * message on the way to a worker, or waiting out a retry's backoff) shows position 0 and no
 * estimate. Redis that does not answer leaves {@code queue} out ({@code null}), never a failure.
 */
@ApplicationScoped
public class QueuePositions {

  private final ReactiveRedisDataSource redis;
  private final LuaScript room;

  QueuePositions(ReactiveRedisDataSource redis, RedisTimeout timeout) {
    this.redis = redis;
    this.room = new LuaScript("governor/room.lua", timeout);
  }

  /** The job's place, or {@code null} when Redis could not say. */
  public Uni<JobView.Queue> of(UUID jobId) {
    return room.call(redis, List.of(), List.of("where", "-", jobId.toString()))
        .map(answer -> {
          if (answer == null || answer.size() == 0) {
            return new JobView.Queue(0, null);
          }
          return new JobView.Queue(
              answer.get(0).toLong(), Instant.now().plusMillis(answer.get(2).toLong()));
        })
        .onFailure()
        .recoverWithNull();
  }

  /** The job as clients see it, with its place while it is queued. */
  public Uni<JobView> view(JobRow job) {
    if (job.status() != JobStatus.QUEUED) {
      return Uni.createFrom().item(job.view());
    }
    return of(job.id()).map(queue -> job.view().withQueue(queue));
  }

  /** {@link #view} of each job, in order. */
  public Uni<List<JobView>> views(List<JobRow> jobs) {
    if (jobs.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return Uni.join().all(jobs.stream().map(this::view).toList()).andFailFast();
  }
}
