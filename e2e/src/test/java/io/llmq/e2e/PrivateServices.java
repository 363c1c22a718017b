package io.llmq.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The PostgreSQL, RabbitMQ and Redis of the fault suite: private instances it starts, restarts and
 * stops by process handle, in one temporary directory, so that restarting them disturbs no other
 * suite that uses the machine's shared services on the standard ports. They are closed when the
 * suite ends, and by a shutdown hook if the JVM ends first.
 */
final class PrivateServices implements AutoCloseable {

  final PrivateRedis redis;
  final PrivatePostgres postgres;
  final PrivateRabbitMq rabbit;
  private final Path dir;
  private final Path logs;
  private final Thread hook = new Thread(this::closeQuietly, "private-services-cleanup");

  private PrivateServices(Path dir, Path logs) throws IOException {
    this.dir = dir;
    this.logs = logs;
    redis = new PrivateRedis(Files.createDirectories(dir.resolve("redis")));
    // The postgres user (under root) must reach its directory.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    postgres = new PrivatePostgres(Files.createDirectories(dir.resolve("pg")));
    rabbit = new PrivateRabbitMq(Files.createDirectories(dir.resolve("rabbitmq")));
  }

  /**
   * Starts the three side by side (the broker's boot is the longest: several seconds). Their logs
   * are copied to {@code logs} when they are closed, and their data deleted.
   */
  static PrivateServices start(Path logs) throws IOException {
    PrivateServices services =
        new PrivateServices(Files.createTempDirectory("llmq-fault-").toAbsolutePath(), logs);
    Runtime.getRuntime().addShutdownHook(services.hook);
    try {
      CompletableFuture.allOf(
              CompletableFuture.runAsync(services.redis::start),
              CompletableFuture.runAsync(services.rabbit::start),
              CompletableFuture.runAsync(() -> {
                try {
                  services.postgres.create();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException(e);
                }
              }))
          .join();
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    return services;
  }

  /** The programs this machine lacks to run private services: empty when it has them all. */
  static List<String> missing() {
    List<String> missing = new ArrayList<>();
    if (!PrivateRedis.installed()) {
      missing.add("redis-server");
    }
    if (PrivatePostgres.binaries().isEmpty()) {
      missing.add("PostgreSQL server (/usr/lib/postgresql/<version>/bin/initdb)");
    }
    if (!PrivateRabbitMq.installed()) {
      missing.add("rabbitmq-server (/usr/lib/rabbitmq/bin/rabbitmq-server) and epmd");
    }
    if (ServiceProcess.root() && !onPath("setpriv")) {
      missing.add("setpriv (to run PostgreSQL as the postgres user under root)");
    }
    return missing;
  }

  static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String entry : path.split(":")) {
      if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program))) {
        return true;
      }
    }
    return false;
  }

  /** Where the apps find them; the apps' database is made when PostgreSQL starts. */
  LlmqProcesses.Infrastructure infrastructure() {
    return new LlmqProcesses.Infrastructure(
        postgres.url(), "postgres", "", "127.0.0.1", rabbit.port(), redis.url(), queue -> {});
  }

  Path dir() {
    return dir;
  }

  @Override
  public void close() {
    closeQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs, or has run, already
    }
  }

  private synchronized void closeQuietly() {
    for (AutoCloseable service : List.<AutoCloseable>of(rabbit, postgres, redis)) {
      try {
        service.close();
      } catch (Exception e) {
        System.err.println("fault suite: closing a private service failed: " + e);
      }
    }
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        String name = file.getFileName().toString();
        if (Files.isRegularFile(file) && (name.endsWith(".log") || file.startsWith(logDir()))) {
          Path copy = logs.resolve(dir.relativize(file).toString().replace('/', '-'));
          Files.createDirectories(logs);
          Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.delete(file);
      }
    } catch (IOException e) {
      System.err.println("fault suite: cleaning " + dir + " up failed: " + e);
    }
  }

  private Path logDir() {
    return dir.resolve("rabbitmq").resolve("log");
  }
}
