package io.llmq.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmq.common.testing.TcpRelay;
import io.llmq.common.testing.TestServices;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3: liveness never depends on the backing services, readiness does. The packaged api and a
 * worker reach RabbitMQ through a relay; cutting it is a broker outage: both stay live, both go
 * unready, and both are ready again when the broker is back, without a restart.
 */
class HealthIT {

  private static LlmqProcesses system;
  private static TcpRelay broker;
  private static int worker;

  @BeforeAll
  static void start() {
    TestServices services = TestServices.get();
    broker = new TcpRelay(services.rabbitHost(), services.rabbitPort());
    system = new LlmqProcesses().with("LLMQ_RABBITMQ_PORT", String.valueOf(broker.port()));
    system.start(0);
    system.startWorker(Map.of());
    worker = system.workerPorts().get(0);
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aBrokerOutageFailsReadinessButNeverLiveness() {
    List<Integer> ports = List.of(system.apiPort(), worker);
    for (int port : ports) {
      assertEquals(200, status(port, "/q/health/ready"), "ready at start on " + port);
    }

    broker.cut();
    for (int port : ports) {
      Awaitility.await("unready while the broker is away, on " + port)
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> status(port, "/q/health/ready") == 503);
    }
    // Well into the outage: still live, so nothing would restart them.
    for (int i = 0; i < 10; i++) {
      for (int port : ports) {
        assertEquals(200, status(port, "/q/health/live"), "live during the outage on " + port);
      }
      sleep(500);
    }

    broker.restore();
    for (int port : ports) {
      Awaitility.await("ready again once the broker is back, on " + port)
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> status(port, "/q/health/ready") == 200);
      assertEquals(200, status(port, "/q/health/live"));
    }
  }

  private static int status(int port, String path) {
    try {
      HttpURLConnection connection =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
      connection.setConnectTimeout(2_000);
      connection.setReadTimeout(10_000);
      return connection.getResponseCode();
    } catch (IOException e) {
      return -1;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
