package io.llmq.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A RabbitMQ node of the fault suite's own, beside any other on the machine: its own node name,
 * AMQP and distribution ports, data and log directories, an empty configuration and plugin list (so
 * the machine's {@code /etc/rabbitmq} does not apply), and its own {@code epmd} on a free port in
 * the foreground (so nothing is left behind as a daemon, and the machine's epmd is not used). The
 * node runs in the foreground as a child process; SIGTERM to it stops the broker cleanly (its start
 * script traps it), and a start on the same directory brings the durable quorum queue back with the
 * messages it held.
 */
final class PrivateRabbitMq implements AutoCloseable {

  private static final Path SERVER = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

  private final int port = ServiceProcess.freePort();
  private final int epmdPort = ServiceProcess.freePort();
  private final ServiceProcess epmd;
  private final ServiceProcess node;

  PrivateRabbitMq(Path dir) throws IOException {
    int distributionPort = ServiceProcess.freePort();
    Files.createDirectories(dir.resolve("home"));
    Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
    Files.writeString(dir.resolve("enabled_plugins"), "");
    Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.tcp.1 = 127.0.0.1:" + port + "\n");
    epmd =
        new ServiceProcess(
            "epmd",
            List.of("epmd", "-port", String.valueOf(epmdPort), "-address", "127.0.0.1"),
            Map.of(),
            dir.resolve("epmd.log"));
    node =
        new ServiceProcess(
            "rabbitmq",
            List.of(SERVER.toString()),
            Map.ofEntries(
                Map.entry("HOME", dir.resolve("home").toString()),
                Map.entry("ERL_EPMD_PORT", String.valueOf(epmdPort)),
                Map.entry("ERL_EPMD_ADDRESS", "127.0.0.1"),
                Map.entry(
                    "RABBITMQ_NODENAME",
                    "llmqfault-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost"),
                Map.entry("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
                Map.entry("RABBITMQ_NODE_PORT", String.valueOf(port)),
                Map.entry("RABBITMQ_DIST_PORT", String.valueOf(distributionPort)),
                Map.entry("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString()),
                Map.entry("RABBITMQ_LOG_BASE", dir.resolve("log").toString()),
                Map.entry("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString()),
                Map.entry("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString()),
                Map.entry(
                    "RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString())),
            dir.resolve("rabbitmq.log"));
  }

  static boolean installed() {
    return Files.isExecutable(SERVER) && PrivateServices.onPath("epmd");
  }

  int port() {
    return port;
  }

  void start() {
    if (!epmd.alive()) {
      epmd.start();
      // Before the node: one that finds no epmd starts a daemon of its own, which would outlive us.
      epmd.awaitPort(epmdPort, Duration.ofSeconds(30));
    }
    node.start();
    node.awaitPort(port, Duration.ofSeconds(120));
  }

  /** Stops the broker cleanly (SIGTERM to the node), as {@code rabbitmqctl stop} would. */
  void stop() {
    node.stop(Duration.ofSeconds(60));
  }

  @Override
  public void close() {
    node.stop(Duration.ofSeconds(20));
    epmd.stop(Duration.ofSeconds(5));
  }
}
