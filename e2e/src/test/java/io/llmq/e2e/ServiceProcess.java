package io.llmq.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * One program of the fault suite's own infrastructure (a Redis, a PostgreSQL, an epmd, a RabbitMQ
 * node) run as a child process, its output appended to a log. It is signalled and ended through its
 * own process handle, and its descendants through theirs, never by name: the machine's shared
 * services, and other suites' processes, are never touched.
 */
final class ServiceProcess {

  private final String name;
  private final List<String> command;
  private final Map<String, String> environment;
  private final Path log;
  private Process process;

  ServiceProcess(String name, List<String> command, Map<String, String> environment, Path log) {
    this.name = name;
    this.command = List.copyOf(command);
    this.environment = Map.copyOf(environment);
    this.log = log;
  }

  /** Starts the program (again, after it stopped). */
  void start() {
    if (alive()) {
      throw new IllegalStateException(name + " is running already");
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(environment);
    try {
      Files.createDirectories(log.getParent());
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + " (" + command.get(0) + ")", e);
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** Waits until the program accepts TCP connections on {@code port}; fails if it exits first. */
  void awaitPort(int port, Duration atMost) {
    Awaitility.await(name + " listening on port " + port + " (log: " + log + ")")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          if (!alive()) {
            throw new IllegalStateException(name + " exited; see " + log);
          }
          return answers(port);
        });
  }

  /** Sends a signal by name ({@code INT}, {@code QUIT}, ...) to the program's own process id. */
  void signal(String signal) {
    if (!alive()) {
      return;
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-s", signal, String.valueOf(process.pid()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalStateException("cannot signal " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + name, e);
    }
  }

  /**
   * Asks the program to stop (SIGTERM) and waits up to {@code atMost} for it and every process it
   * started; whatever is still alive then is killed. Answers whether it stopped by itself.
   */
  boolean stop(Duration atMost) {
    return stop(atMost, true);
  }

  /** Waits up to {@code atMost} for the program to exit after a {@link #signal}; then as stop. */
  boolean awaitExit(Duration atMost) {
    return stop(atMost, false);
  }

  /** Ends the program and everything it started at once, as {@code kill -9} would. */
  void kill() {
    if (process == null) {
      return;
    }
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    waitQuietly(Duration.ofSeconds(10));
  }

  private boolean stop(Duration atMost, boolean terminate) {
    if (process == null) {
      return true;
    }
    // Collected first: once the program is gone, its children are no longer its descendants.
    List<ProcessHandle> descendants = process.descendants().toList();
    if (terminate) {
      process.destroy();
    }
    boolean exited = waitQuietly(atMost);
    // A program that exits waits for its children first; a few seconds more for any that do not.
    CompletableFuture.allOf(
            descendants.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
        .completeOnTimeout(null, 5, TimeUnit.SECONDS)
        .join();
    boolean clean = exited && descendants.stream().noneMatch(ProcessHandle::isAlive);
    if (!clean) {
      process.destroyForcibly();
      descendants.forEach(ProcessHandle::destroyForcibly);
      waitQuietly(Duration.ofSeconds(10));
    }
    return clean;
  }

  private boolean waitQuietly(Duration atMost) {
    try {
      return process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static boolean answers(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether this JVM runs as root, where PostgreSQL must be run as another user. */
  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }
}
