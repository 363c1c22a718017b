package io.llmq.common.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;
import java.util.UUID;

/**
 * Points a {@code @QuarkusTest} app at {@link TestServices}: a fresh database and queue names of
 * its own, so a test run never meets another's jobs on a shared broker.
 */
public class LlmqTestResource implements QuarkusTestResourceLifecycleManager {

  /** Prefix of this run's queue names; tests read the queue name from here. */
  public static final String QUEUE = "llmq-test-" + UUID.randomUUID().toString().substring(0, 8);

  private TestServices services;

  @Override
  public Map<String, String> start() {
    services = TestServices.get();
    String dbUrl = services.freshDatabase(TestServices.testDatabase());
    return Map.ofEntries(
        Map.entry("llmq.db.url", dbUrl),
        Map.entry("quarkus.datasource.username", services.pgUser()),
        Map.entry("quarkus.datasource.password", services.pgPassword()),
        Map.entry("rabbitmq-host", services.rabbitHost()),
        Map.entry("rabbitmq-port", String.valueOf(services.rabbitPort())),
        Map.entry("quarkus.redis.hosts", services.redisUrl()),
        Map.entry("llmq.queue.exchange", QUEUE),
        Map.entry("llmq.queue.name", QUEUE),
        Map.entry("llmq.queue.dead-letter-exchange", QUEUE + ".dlx"),
        Map.entry("llmq.queue.dead-letter-queue", QUEUE + ".dlq"));
  }

  @Override
  public void stop() {
    if (services != null) {
      services.deleteTopology(QUEUE);
    }
  }
}
