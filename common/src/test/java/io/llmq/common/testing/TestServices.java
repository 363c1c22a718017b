package io.llmq.common.testing;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * The PostgreSQL, RabbitMQ and Redis that tests talk to: the local services when they answer on
 * their standard ports (or {@code LLMQ_LOCAL_SERVICES=1} says so), otherwise containers started
 * with Testcontainers where a Docker engine exists. One instance per JVM; containers stop with it.
 */
public final class TestServices {

  private static TestServices instance;

  private final String pgHost;
  private final int pgPort;
  private final String pgUser;
  private final String pgPassword;
  private final String rabbitHost;
  private final int rabbitPort;
  private final String redisUrl;
  private final RabbitMQContainer rabbitContainer;

  private TestServices(
      String pgHost,
      int pgPort,
      String pgUser,
      String pgPassword,
      String rabbitHost,
      int rabbitPort,
      String redisUrl,
      RabbitMQContainer rabbitContainer) {
    this.pgHost = pgHost;
    this.pgPort = pgPort;
    this.pgUser = pgUser;
    this.pgPassword = pgPassword;
    this.rabbitHost = rabbitHost;
    this.rabbitPort = rabbitPort;
    this.redisUrl = redisUrl;
    this.rabbitContainer = rabbitContainer;
  }

  /** The services of this JVM, found or started on first use. */
  public static synchronized TestServices get() {
    if (instance == null) {
      instance = locate();
    }
    return instance;
  }

  private static TestServices locate() {
    if ("1".equals(System.getenv("LLMQ_LOCAL_SERVICES"))
        || (answers(5432) && answers(5672) && answers(6379))) {
      return new TestServices(
          "127.0.0.1", 5432, "postgres", "", "127.0.0.1", 5672, "redis://127.0.0.1:6379", null);
    }
    if (DockerClientFactory.instance().isDockerAvailable()) {
      return startContainers();
    }
    throw new IllegalStateException(
        "Tests need PostgreSQL, RabbitMQ and Redis: start them on 127.0.0.1 (ports 5432, 5672,"
            + " 6379; see .ci/run), or run a Docker engine so Testcontainers can start them.");
  }

  @SuppressWarnings("resource")
  private static TestServices startContainers() {
    PostgreSQLContainer postgres = new PostgreSQLContainer("postgres:15-alpine");
    RabbitMQContainer rabbit = new RabbitMQContainer("rabbitmq:3.13-management-alpine");
    GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
    postgres.start();
    rabbit.start();
    redis.start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> {
              redis.stop();
              rabbit.stop();
              postgres.stop();
            }));
    return new TestServices(
        postgres.getHost(),
        postgres.getMappedPort(5432),
        postgres.getUsername(),
        postgres.getPassword(),
        rabbit.getHost(),
        rabbit.getAmqpPort(),
        "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379),
        rabbit);
  }

  private static boolean answers(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A fresh, empty database of that name; any earlier one is dropped. */
  public String freshDatabase(String name) {
    String admin = "jdbc:postgresql://" + pgHost + ":" + pgPort + "/postgres";
    try (var connection = DriverManager.getConnection(admin, pgUser, pgPassword);
        var statement = connection.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name, e);
    }
    return dbUrl(name);
  }

  /** The llmq-style database URL ({@code postgresql://host:port/name}). */
  /**
   * The database tests use: {@code llmq_test}, or {@code LLMQ_TEST_DB} so that two suites can run
   * side by side on one PostgreSQL (each drops and recreates its own).
   */
  public static String testDatabase() {
    String name = System.getenv("LLMQ_TEST_DB");
    return name == null || name.isBlank() ? "llmq_test" : name;
  }

  public String dbUrl(String name) {
    return "postgresql://" + pgHost + ":" + pgPort + "/" + name;
  }

  public String pgUser() {
    return pgUser;
  }

  public String pgPassword() {
    return pgPassword;
  }

  public String rabbitHost() {
    return rabbitHost;
  }

  public int rabbitPort() {
    return rabbitPort;
  }

  public String redisUrl() {
    return redisUrl;
  }

  /** A connection to the broker for assertions (the tests' own, not the apps'). */
  public Connection rabbitConnection() {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost(rabbitHost);
    factory.setPort(rabbitPort);
    factory.setUsername("guest");
    factory.setPassword("guest");
    try {
      return factory.newConnection("llmq tests");
    } catch (IOException | TimeoutException e) {
      throw new IllegalStateException("cannot reach RabbitMQ", e);
    }
  }

  /**
   * Deletes the queues and exchanges a test run declared under {@code name} (see {@link
   * LlmqTestResource}); ones that do not exist are ignored.
   */
  public void deleteTopology(String name) {
    try (Connection connection = rabbitConnection();
        Channel channel = connection.createChannel()) {
      channel.queueDelete(name);
      channel.queueDelete(name + ".dlq");
      channel.exchangeDelete(name);
      channel.exchangeDelete(name + ".dlx");
    } catch (IOException | TimeoutException e) {
      throw new IllegalStateException("cannot delete test topology " + name, e);
    }
  }

  /** Stops the broker's application (the node stays up), as an outage the apps must survive. */
  public void stopBroker() {
    rabbitmqctl("stop_app");
  }

  /** Starts the broker's application again and waits until it accepts connections. */
  public void startBroker() {
    rabbitmqctl("start_app");
    rabbitmqctl("await_startup");
  }

  /**
   * Runs {@code rabbitmqctl}; {@code LLMQ_RABBITMQCTL} names another command line for it, such as
   * {@code docker exec <container> rabbitmqctl} where the broker runs in a service container.
   */
  private void rabbitmqctl(String command) {
    String rabbitmqctl = System.getenv().getOrDefault("LLMQ_RABBITMQCTL", "rabbitmqctl");
    try {
      if (rabbitContainer != null) {
        var result = rabbitContainer.execInContainer("rabbitmqctl", command);
        if (result.getExitCode() != 0) {
          throw new IllegalStateException("rabbitmqctl " + command + ": " + result.getStderr());
        }
        return;
      }
      List<String> argv = new ArrayList<>(List.of(rabbitmqctl.split(" ")));
      argv.add(command);
      Process process =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (process.waitFor() != 0) {
        throw new IllegalStateException("rabbitmqctl " + command + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run rabbitmqctl " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during rabbitmqctl " + command, e);
    }
  }
}
