package io.llmq.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.JobTransitions;
import io.llmq.common.testing.LlmqTestResource;
import io.llmq.common.testing.TestServices;
import io.quarkus.arc.Arc;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Puts jobs where the api would: a row in PostgreSQL and a message on the queue, so worker tests
 * drive the real intake path. Changes a job's status only with the apps' own statements ({@link
 * JobTransitions}). Reads rows back for assertions.
 */
public final class TestJobs {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final TestServices services = TestServices.get();

  private java.sql.Connection db() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:" + services.dbUrl(TestServices.testDatabase()),
        services.pgUser(),
        services.pgPassword());
  }

  public UUID tenant() {
    return tenant("NULL");
  }

  /** A tenant with its own tokens-per-minute limit. */
  public UUID tenant(long tokensPerMinute) {
    return tenant(Long.toString(tokensPerMinute));
  }

  private UUID tenant(String tokensPerMinute) {
    UUID id = UUID.randomUUID();
    byte[] secret = new byte[32];
    new java.security.SecureRandom().nextBytes(secret);
    update(
        "INSERT INTO tenants (id, name, tokens_per_minute, webhook_secret, created_at, updated_at)"
            + " VALUES ('"
            + id
            + "', 'worker-test', "
            + tokensPerMinute
            + ", 'whsec_"
            + java.util.Base64.getEncoder().encodeToString(secret)
            + "', now(), now())");
    return id;
  }

  /** The tenant's webhook secret ({@code whsec_...}). */
  public String webhookSecret(UUID tenant) {
    return (String)
        rows("SELECT webhook_secret FROM tenants WHERE id = '" + tenant + "'")
            .get(0)
            .get("webhook_secret");
  }

  /** A queued job whose end is POSTed to {@code webhookUrl}. */
  public UUID queuedWithWebhook(UUID tenant, String prompt, String webhookUrl) {
    UUID job = queued(tenant, "llmq-sim", prompt, 1);
    update(
        "UPDATE jobs SET webhook_url = '"
            + webhookUrl.replace("'", "''")
            + "' WHERE id = '"
            + job
            + "'");
    return job;
  }

  /**
   * Ends a queued or running job cancelled, as the api's cancel does ({@link JobTransitions#cancel}
   * at the version read); false when the job had ended. A version lost to the worker meanwhile is
   * read again.
   */
  public boolean cancel(UUID job) {
    for (int tries = 0; tries < 10; tries++) {
      if (JobTransitions.cancel(pool(), job, version(job)).await().atMost(WAIT).isPresent()) {
        return true;
      }
      if (JobStatus.fromWire(status(job)).isTerminal()) {
        return false;
      }
    }
    throw new IllegalStateException("job " + job + " kept changing while being cancelled");
  }

  /** Ends a queued job expired, as a worker does when its deadline passed before it started. */
  public void expire(UUID job) {
    if (!JobTransitions.expire(pool(), job, version(job)).await().atMost(WAIT)) {
      throw new IllegalStateException("job " + job + " cannot expire");
    }
  }

  /**
   * Runs a queued job to success without a worker, as a worker records it: claimed, then answered
   * by the simulator ({@link JobTransitions#claim}, {@link JobTransitions#succeed}).
   */
  public void succeed(UUID job, String content) {
    String result =
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
            + content
            + "\"},\"finish_reason\":\"stop\"}]}";
    JobTransitions.Answer answer = new JobTransitions.Answer(result, 1, 1, 2, "simulated");
    boolean done =
        JobTransitions.claim(pool(), job, version(job), "test-jobs", Duration.ofMinutes(1))
            .map(claimed -> claimed.flatMap(JobTransitions.ClaimAnswer::claim))
            .chain(claim ->
                claim.isEmpty()
                    ? Uni.createFrom().item(false)
                    : JobTransitions.succeed(pool(), job, claim.get().version(), answer))
            .await()
            .atMost(WAIT);
    if (!done) {
      throw new IllegalStateException("job " + job + " cannot succeed");
    }
  }

  private int version(UUID job) {
    return (Integer) row(job).get("version");
  }

  private static Pool pool() {
    return Arc.container().instance(Pool.class).get();
  }

  /** Every row a query answers, column name to value. */
  public java.util.List<Map<String, Object>> rows(String sql) {
    try (var connection = db();
        var statement = connection.createStatement()) {
      java.util.List<Map<String, Object>> all = new java.util.ArrayList<>();
      if (!statement.execute(sql)) {
        return all;
      }
      try (ResultSet rows = statement.getResultSet()) {
        while (rows.next()) {
          Map<String, Object> row = new HashMap<>();
          for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
            row.put(rows.getMetaData().getColumnName(i), rows.getObject(i));
          }
          all.add(row);
        }
      }
      return all;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A queued job asking the simulated provider to answer {@code prompt}. */
  public UUID queued(UUID tenant, String model, String prompt, int maxAttempts) {
    return insert(tenant, model, prompt, maxAttempts, "");
  }

  /** A queued job whose request also carries {@code max_tokens}. */
  public UUID queued(UUID tenant, String model, String prompt, int maxAttempts, int maxTokens) {
    return insert(tenant, model, prompt, maxAttempts, ",\"max_tokens\":" + maxTokens);
  }

  /** A queued job whose request also carries {@code extra} (JSON members, each after a comma). */
  public UUID queuedWith(UUID tenant, String model, String prompt, int maxAttempts, String extra) {
    return insert(tenant, model, prompt, maxAttempts, extra);
  }

  /**
   * A job stuck as its dead worker left it: claimed ({@link JobTransitions#claim}) under a lease
   * that lapsed a minute ago.
   */
  public UUID orphaned(UUID tenant, String prompt) {
    UUID job = insert(tenant, "gpt-4o-mini", prompt, 3, "");
    JobTransitions.claim(pool(), job, version(job), "dead-worker", Duration.ofMinutes(-1))
        .await()
        .atMost(WAIT)
        .flatMap(JobTransitions.ClaimAnswer::claim)
        .orElseThrow();
    return job;
  }

  /** A job born queued, as the api's submit inserts it (a birth is no transition). */
  private UUID insert(UUID tenant, String model, String prompt, int maxAttempts, String extra) {
    UUID id = UUID.randomUUID();
    String request =
        "{\"model\":\""
            + model
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + prompt
            + "\"}]"
            + extra
            + "}";
    update(
        "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, max_attempts,"
            + " created_at) VALUES ('"
            + id
            + "', '"
            + tenant
            + "', "
            + JobStatus.QUEUED.sql()
            + ", '"
            + model
            + "', '"
            + request.replace("'", "''")
            + "'::jsonb, 'default', "
            + maxAttempts
            + ", now())");
    return id;
  }

  public void update(String sql) {
    try (var connection = db();
        var statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The job's row, column name to value. */
  public Map<String, Object> row(UUID id) {
    try (var connection = db();
        var statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT * FROM jobs WHERE id = '" + id + "'")) {
      Map<String, Object> row = new HashMap<>();
      if (rows.next()) {
        for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
          row.put(rows.getMetaData().getColumnName(i), rows.getObject(i));
        }
      }
      return row;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public String status(UUID id) {
    return (String) row(id).get("status");
  }

  /** How long until the job's pending outbox row is due, if it has one. */
  public java.util.Optional<java.time.Duration> outboxDueIn(UUID job) {
    try (var connection = db();
        var statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT extract(epoch FROM available_at - now()) FROM job_outbox WHERE job_id = '"
                    + job
                    + "'")) {
      return rows.next()
          ? java.util.Optional.of(java.time.Duration.ofMillis((long) (rows.getDouble(1) * 1000)))
          : java.util.Optional.empty();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Publishes the job's message as the api's relay does. */
  public void publish(UUID job, UUID tenant) {
    String body = "{\"schema\":1,\"job_id\":\"" + job + "\",\"tenant_id\":\"" + tenant + "\"}";
    try (Connection connection = services.rabbitConnection();
        Channel channel = connection.createChannel()) {
      AMQP.BasicProperties properties =
          new AMQP.BasicProperties.Builder()
              .contentType("application/json")
              .deliveryMode(2)
              .build();
      channel.basicPublish(
          LlmqTestResource.QUEUE, "job", properties, body.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Takes every message from the dead-letter queue; true when one names the job. */
  public boolean deadLettered(UUID job) {
    try (Connection connection = services.rabbitConnection();
        Channel channel = connection.createChannel()) {
      boolean found = false;
      com.rabbitmq.client.GetResponse message;
      while ((message = channel.basicGet(LlmqTestResource.QUEUE + ".dlq", true)) != null) {
        found |= new String(message.getBody(), StandardCharsets.UTF_8).contains(job.toString());
      }
      return found;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
