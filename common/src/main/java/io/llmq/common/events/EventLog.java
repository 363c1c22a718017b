package io.llmq.common.events;

import io.llmq.common.failure.RedisTimeout;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The progress events of every job: one Redis stream per job, numbered 1, 2, 3, … by Redis itself
 * ({@code XADD key 0-*}), so writers in any process share one numbering without coordinating. One
 * script appends an event, keeps the numbering free of stale writers, sets the stream's expiry, and
 * publishes the event on {@link #CHANNEL}, where each api instance reads every event with one
 * subscription.
 *
 * <p>Rules the script enforces: nothing is appended after the {@code done} event, and appending
 * {@code done} again returns the first one's id (so the terminal event has one id, whoever
 * announces it and however often); an event from a writer that has been overtaken (a {@code delta}
 * or {@code status} carrying an older job version than one already written, such as the last output
 * of an attempt that was taken back) is dropped. While the job lives its stream expires {@code
 * llmq.events.live-retention} after its latest event; once it ended, {@code llmq.events.retention}
 * after the end.
 */
@ApplicationScoped
public class EventLog {

  /** The pub/sub channel carrying every appended event: {@code <job id>\n<id>\n<type>\n<data>}. */
  public static final String CHANNEL = "llmq:events";

  /** What {@link #append} answers when the job's stream is closed by its {@code done} event. */
  public static final long CLOSED = -1;

  /** What {@link #append} answers for an event from an overtaken writer. */
  public static final long STALE = -2;

  private static final String SCRIPT =
      """
      local done = redis.call('HGET', KEYS[2], 'done')
      if done then
        if ARGV[2] == 'done' then return tonumber(done) end
        return -1
      end
      local version = tonumber(ARGV[3])
      local seen = tonumber(redis.call('HGET', KEYS[2], 'v') or '-1')
      local kind = ARGV[2]
      local refresh = kind == 'status+'
      if refresh then kind = 'status' end
      if kind ~= 'done' then
        if version < seen or (kind == 'status' and version == seen and not refresh) then
          return -2
        end
      end
      local id = redis.call('XADD', KEYS[1], '0-*', 't', kind, 'd', ARGV[4])
      local seq = tonumber(string.sub(id, 3))
      if version > seen then redis.call('HSET', KEYS[2], 'v', version) end
      local ttl = ARGV[5]
      if ARGV[2] == 'done' then
        redis.call('HSET', KEYS[2], 'done', seq)
        ttl = ARGV[6]
      end
      redis.call('EXPIRE', KEYS[1], ttl)
      redis.call('EXPIRE', KEYS[2], ttl)
      redis.call('PUBLISH', ARGV[7], ARGV[1] .. '\\n' .. seq .. '\\n' .. kind .. '\\n' .. ARGV[4])
      return seq
      """;
  private static final String SHA = sha1(SCRIPT);

  private final ReactiveRedisDataSource redis;
  private final String liveTtl;
  private final String endTtl;
  private final RedisTimeout timeout;

  EventLog(ReactiveRedisDataSource redis, EventsConfig config, RedisTimeout timeout) {
    this.redis = redis;
    this.timeout = timeout;
    this.liveTtl = Long.toString(Math.max(1, config.liveRetention().toSeconds()));
    this.endTtl = Long.toString(Math.max(1, config.retention().toSeconds()));
  }

  /** The Redis stream of a job's events. */
  public static String key(UUID jobId) {
    return "llmq:events:{" + jobId + "}";
  }

  private static String metaKey(UUID jobId) {
    return key(jobId) + ":m";
  }

  /**
   * Appends an event; answers its id, or {@link #CLOSED} or {@link #STALE} when it was not
   * appended.
   *
   * @param version the job row's version the writer acts on (for a {@code delta}, the version its
   *     claim wrote)
   */
  public Uni<Long> append(UUID jobId, String type, int version, String data) {
    String[] args = {
      "2",
      key(jobId),
      metaKey(jobId),
      jobId.toString(),
      type,
      Integer.toString(version),
      data,
      liveTtl,
      endTtl,
      CHANNEL
    };
    return timeout
        .bound(
            redis
                .execute("EVALSHA", prepend(SHA, args))
                .onFailure(failure -> String.valueOf(failure.getMessage()).startsWith("NOSCRIPT"))
                .recoverWithUni(() -> redis.execute("EVAL", prepend(SCRIPT, args))))
        .map(Response::toLong);
  }

  /**
   * Appends a {@code status} event for a job whose status did not change but whose view did (a
   * queued job's place and estimated start): unlike {@link #append}, the same version as the last
   * event is not stale; an older one still is.
   */
  public Uni<Long> refresh(UUID jobId, int version, String data) {
    return append(jobId, REFRESH, version, data);
  }

  private static final String REFRESH = "status+";

  /** Up to {@code count} events of the job with an id above {@code after}, oldest first. */
  public Uni<List<JobEvent>> after(UUID jobId, long after, int count) {
    return timeout
        .bound(
            redis.execute(
                "XRANGE", key(jobId), "(0-" + after, "+", "COUNT", Integer.toString(count)))
        .map(EventLog::events);
  }

  /** Reads a message of {@link #CHANNEL}: the job id and its event; null when it is not one. */
  public static Published parse(String message) {
    int first = message.indexOf('\n');
    int second = first < 0 ? -1 : message.indexOf('\n', first + 1);
    int third = second < 0 ? -1 : message.indexOf('\n', second + 1);
    if (third < 0) {
      return null;
    }
    try {
      UUID jobId = UUID.fromString(message.substring(0, first));
      long id = Long.parseLong(message.substring(first + 1, second));
      return new Published(
          jobId,
          new JobEvent(id, message.substring(second + 1, third), message.substring(third + 1)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** An event as it came over {@link #CHANNEL}. */
  public record Published(UUID jobId, JobEvent event) {}

  private static List<JobEvent> events(Response entries) {
    List<JobEvent> events = new ArrayList<>(entries == null ? 0 : entries.size());
    if (entries == null) {
      return events;
    }
    for (Response entry : entries) {
      String id = entry.get(0).toString();
      Response fields = entry.get(1);
      String type = null;
      String data = null;
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        String field = fields.get(i).toString();
        if ("t".equals(field)) {
          type = fields.get(i + 1).toString();
        } else if ("d".equals(field)) {
          data = fields.get(i + 1).toString();
        }
      }
      long seq = Long.parseLong(id.substring(id.indexOf('-') + 1));
      events.add(new JobEvent(seq, type, data));
    }
    return events;
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is always available", e);
    }
  }
}
