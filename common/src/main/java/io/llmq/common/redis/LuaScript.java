package io.llmq.common.redis;

import io.llmq.common.failure.RedisTimeout;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script from the class path, run by its SHA-1 ({@code EVALSHA}), sent whole only when Redis
 * does not know it yet (after a restart, say). Scripts are how the governor's shared state changes
 * atomically for every worker replica. Each run fails after {@code llmq.redis.timeout} rather than
 * wait on a Redis that hangs.
 */
public final class LuaScript {

  private final String text;
  private final String sha;
  private final RedisTimeout timeout;

  public LuaScript(String resource, RedisTimeout timeout) {
    this.timeout = timeout;
    try (InputStream in = LuaScript.class.getClassLoader().getResourceAsStream(resource)) {
      this.text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      this.sha =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** Runs the script; its integer answer, 0 for none. */
  public Uni<Long> run(ReactiveRedisDataSource redis, List<String> keys, List<String> args) {
    return call(redis, keys, args).map(response -> response == null ? 0L : response.toLong());
  }

  /** Runs the script; its answer as Redis gave it ({@code null} for none). */
  public Uni<Response> call(ReactiveRedisDataSource redis, List<String> keys, List<String> args) {
    List<String> call = new ArrayList<>();
    call.add(sha);
    call.add(Integer.toString(keys.size()));
    call.addAll(keys);
    call.addAll(args);
    String[] bySha = call.toArray(String[]::new);
    call.set(0, text);
    String[] whole = call.toArray(String[]::new);
    return timeout.bound(
        redis
            .execute("EVALSHA", bySha)
            .onFailure(failure -> String.valueOf(failure.getMessage()).contains("NOSCRIPT"))
            .recoverWithUni(() -> redis.execute("EVAL", whole)));
  }
}
