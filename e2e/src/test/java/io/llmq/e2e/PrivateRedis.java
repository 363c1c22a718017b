package io.llmq.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A Redis server of the fault suite's own, on a free port, that it can restart in the two ways a
 * production Redis comes back. Without persistence ({@code --save ""}, no append-only file), the
 * default here, a restart loses every key: the cache, the governor's buckets, rate-limit counters,
 * progress streams. With an append-only file ({@link #persist}) a crash gives back the keys as they
 * were up to a second before it ({@code appendfsync everysec}): stale reservations and leases
 * included. llmq must survive both.
 */
final class PrivateRedis implements AutoCloseable {

  private final int port = ServiceProcess.freePort();
  private final Path dir;
  private ServiceProcess server;

  PrivateRedis(Path dir) {
    this.dir = dir;
  }

  static boolean installed() {
    return PrivateServices.onPath("redis-server") && PrivateServices.onPath("redis-cli");
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server without persistence. */
  void start() {
    start(false);
  }

  /**
   * Starts the server; {@code appendOnly} loads and keeps the append-only file in its directory.
   */
  void start(boolean appendOnly) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "redis-server",
                "--port",
                String.valueOf(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                dir.toString(),
                "--appendonly",
                appendOnly ? "yes" : "no"));
    server = new ServiceProcess("redis", command, Map.of(), dir.resolve("redis.log"));
    server.start();
    server.awaitPort(port, Duration.ofSeconds(30));
  }

  /** Stops the server (SIGTERM); with nothing persisted, everything it held is gone. */
  void stop() {
    server.stop(Duration.ofSeconds(15));
  }

  /**
   * Turns the append-only file on while the server runs, and waits until the file holds the whole
   * data set (Redis rewrites it in the background), so that a crash from now on loses at most a
   * second of writes.
   */
  void persist() {
    cli("CONFIG", "SET", "appendonly", "yes");
    Awaitility.await("Redis's append-only file written")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          String info = cli("INFO", "persistence");
          return info.contains("aof_enabled:1")
              && info.contains("aof_rewrite_in_progress:0")
              && info.contains("aof_rewrite_scheduled:0");
        });
  }

  /** Ends the server as a crash would (SIGKILL): whatever it had not written yet is lost. */
  void crash() {
    server.kill();
  }

  /** How many keys the server holds now. */
  long keys() {
    return Long.parseLong(cli("DBSIZE"));
  }

  private String cli(String... args) {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(port)));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException("redis-cli " + String.join(" ", args) + ": " + out);
      }
      return out.trim();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run redis-cli", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted in redis-cli", e);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.kill();
    }
  }
}
