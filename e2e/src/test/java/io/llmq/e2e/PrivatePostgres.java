package io.llmq.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A PostgreSQL cluster of the fault suite's own: {@code initdb} into a temporary directory, the
 * postmaster run in the foreground as a child process on a free port (its socket in that directory
 * too), so the suite can crash and restart it by its process id. PostgreSQL refuses to run as root:
 * under root it runs as the {@code postgres} user ({@code setpriv}, which execs, so the child's pid
 * is the postmaster's). {@code fsync} is off: the suite crashes processes, never the machine, and a
 * write that reached the kernel survives a process crash.
 */
final class PrivatePostgres implements AutoCloseable {

  static final String DATABASE = "llmq";

  private final Path dir;
  private final Path data;
  private final int port = ServiceProcess.freePort();
  private final Path bin;
  private ServiceProcess server;

  PrivatePostgres(Path dir) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.bin = binaries().orElseThrow(() -> new IllegalStateException("no PostgreSQL binaries"));
  }

  /** The newest {@code /usr/lib/postgresql/<version>/bin} with {@code initdb}, if any. */
  static Optional<Path> binaries() {
    Path base = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(base)) {
      return versions
          .map(version -> version.resolve("bin"))
          .filter(candidate -> Files.isExecutable(candidate.resolve("initdb")))
          .max(Comparator.comparing(PrivatePostgres::major));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int major(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  String url() {
    return "postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  /** Makes the cluster, starts it and creates the system's database. */
  void create() throws IOException, InterruptedException {
    if (ServiceProcess.root()) {
      UserPrincipal postgres =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
    }
    List<String> initdb =
        asOwner(
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync");
    Process process =
        new ProcessBuilder(initdb)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("initdb.log").toFile())
            .start();
    if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException("initdb failed; see " + dir.resolve("initdb.log"));
    }
    server =
        new ServiceProcess(
            "postgres",
            asOwner(
                bin.resolve("postgres").toString(),
                "-D",
                data.toString(),
                "-p",
                String.valueOf(port),
                "-k",
                dir.toString(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=300",
                "-c",
                "fsync=off"),
            Map.of(),
            dir.resolve("postgres.log"));
    start();
    Awaitility.await("the database " + DATABASE + " created")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> {
          try (var connection =
                  DriverManager.getConnection(
                      "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
              var statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + DATABASE);
          }
          return true;
        });
  }

  /** Starts the postmaster (again, after a crash: it recovers from its WAL first). */
  void start() {
    server.start();
    server.awaitPort(port, Duration.ofSeconds(60));
  }

  /**
   * Crashes the server: an immediate shutdown (SIGQUIT to the postmaster), which ends every backend
   * without a checkpoint, so the next start runs crash recovery. Clients see their connections
   * drop.
   */
  void crash() {
    server.signal("QUIT");
    server.awaitExit(Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    if (server != null && server.alive()) {
      crash();
    }
    if (server != null) {
      server.kill();
    }
  }

  private static List<String> asOwner(String... command) {
    List<String> argv = new ArrayList<>();
    if (ServiceProcess.root()) {
      argv.addAll(
          List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
    }
    argv.addAll(List.of(command));
    return argv;
  }
}
