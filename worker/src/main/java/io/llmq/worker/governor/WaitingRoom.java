package io.llmq.worker.governor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.common.failure.RedisTimeout;
import io.llmq.common.redis.LuaScript;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The governor's waiting room ({@code governor/room.lua}): per provider, the calls that cannot
 * start now, in fair order between tenants ({@code share_weight}) and by {@code priority} within
 * one, granted capacity one at a time as the provider's buckets refill, by whichever replica asks
 * first. A waiting job holds no queue message: its job row stays {@code queued}; a grant sends it a
 * new message, and the message's consumer collects the capacity granted to it.
 */
@ApplicationScoped
public class WaitingRoom {

  static final String PREFIX = "llmq:room:";

  private final ReactiveRedisDataSource redis;
  private final LuaScript room;
  private final ObjectMapper json;

  WaitingRoom(ReactiveRedisDataSource redis, RedisTimeout timeout, ObjectMapper json) {
    this.redis = redis;
    this.room = new LuaScript("governor/room.lua", timeout);
    this.json = json;
  }

  /**
   * One call's claim on a lane's capacity.
   *
   * @param tokens what it charges each bucket
   * @param weight its tenant's {@code share_weight}
   * @param rank its priority's rank (0 first)
   * @param learner the bucket the provider's headers teach (cold until they have)
   */
  public record Ask(
      UUID jobId,
      UUID tenantId,
      double weight,
      int rank,
      long tokens,
      List<Governor.Bucket> buckets,
      Governor.Bucket learner,
      double headroom) {}

  /**
   * What the room said: the call may start now (its buckets are charged), or it waits, {@code
   * ahead} calls before it, about {@code waitMs} until its start; {@code granted}: it starts on a
   * grant it waited for (the wait was timed at the grant), not at once.
   */
  public record Answer(boolean go, long ahead, long waitMs, boolean granted) {

    public Answer(boolean go, long ahead, long waitMs) {
      this(go, ahead, waitMs, false);
    }
  }

  /** A lane's prefix in Redis: one room per provider. */
  static String lane(String provider) {
    return PREFIX + provider + ":";
  }

  /** Lets the call start now if nobody waits and it fits; otherwise it waits in the room. */
  public Uni<Answer> enter(String provider, Ask ask) {
    return call(List.of("enter", lane(provider), ask.jobId().toString(), spec(ask)))
        .map(answer ->
            "go".equals(answer.get(0).toString())
                ? new Answer(true, 0, 0, answer.size() > 1)
                : new Answer(false, answer.get(1).toLong(), answer.get(2).toLong(), false));
  }

  /**
   * A grant of the lane's capacity, with how long its call waited for it ({@code waitedMs}, -1 when
   * unknown), or how long until the next call could have one.
   */
  public record Grant(Optional<UUID> jobId, long waitMs, boolean empty, long waitedMs) {}

  /** Grants the next call in fair order that fits now, if any. */
  public Uni<Grant> take(String provider) {
    return call(List.of("take", lane(provider)))
        .map(answer ->
            switch (answer.get(0).toString()) {
              case "go" ->
                  new Grant(
                      Optional.of(UUID.fromString(answer.get(1).toString())),
                      0,
                      false,
                      answer.size() > 2 ? answer.get(2).toLong() : -1);
              case "wait" -> new Grant(Optional.empty(), answer.get(1).toLong(), false, -1);
              default -> new Grant(Optional.empty(), 0, true, -1);
            });
  }

  /**
   * The job will not start from the room (it ended, was cancelled or started elsewhere): it leaves,
   * and capacity granted to it goes back. True when it was there.
   */
  public Uni<Boolean> forget(String provider, UUID jobId) {
    return call(List.of("forget", lane(provider), jobId.toString()))
        .map(answer -> answer != null && answer.toLong() == 1);
  }

  /**
   * The waiting jobs whose estimated start moved by more than {@code threshold} since they were
   * last told (each is then told the new one): they get a {@code status} event.
   */
  public Uni<List<UUID>> moved(String provider, Duration threshold) {
    return call(List.of("moved", lane(provider), Long.toString(threshold.toMillis())))
        .map(answer -> {
          List<UUID> moved = new ArrayList<>();
          for (int i = 0; answer != null && i + 2 < answer.size(); i += 3) {
            moved.add(UUID.fromString(answer.get(i).toString()));
          }
          return moved;
        });
  }

  private Uni<Response> call(List<String> args) {
    return room.call(redis, List.of(), args);
  }

  private String spec(Ask ask) {
    ObjectNode spec = json.createObjectNode();
    spec.put("t", ask.tenantId().toString());
    spec.put("w", ask.weight());
    spec.put("c", ask.tokens());
    spec.put("r", ask.rank());
    ArrayNode buckets = spec.putArray("b");
    for (Governor.Bucket bucket : ask.buckets()) {
      buckets
          .addObject()
          .put("k", bucket.key())
          .put("tpm", bucket.tokensPerMinute())
          .put("rpm", bucket.requestsPerMinute())
          .put("h", bucket.upstream() ? ask.headroom() : 0)
          .put("u", bucket.upstream() ? 1 : 0)
          .put("l", bucket.equals(ask.learner()) ? 1 : 0)
          .put("cfg", bucket.tokensPerMinute() + "/" + bucket.requestsPerMinute());
    }
    return spec.toString();
  }
}
