package io.llmq.api;

import static io.restassured.RestAssured.given;

import io.llmq.common.events.Announcer;
import io.llmq.common.events.DeltaData;
import io.llmq.common.events.EventLog;
import io.llmq.common.events.JobEvent;
import io.llmq.common.job.JobTransitions;
import io.llmq.common.testing.TestServices;
import io.quarkus.arc.Arc;
import io.vertx.mutiny.sqlclient.Pool;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;

/**
 * Plays the worker's part for api tests (the api module runs no worker): it changes job rows with
 * the worker's statements ({@link JobTransitions}) and writes events with the same common classes
 * the worker uses ({@link EventLog}, {@link Announcer}), against the same PostgreSQL and Redis.
 */
public final class WorkerStandIn {

  private static final String OWNER = "worker-stand-in";
  private static final Duration LEASE = Duration.ofMinutes(5);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final EventLog log;
  private final Announcer announcer;
  private final TestServices services = TestServices.get();

  public WorkerStandIn(EventLog log, Announcer announcer) {
    this.log = log;
    this.announcer = announcer;
  }

  /** Waits for the job's first event, the {@code queued} status the api writes at submit. */
  public void awaitSubmitted(UUID job) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !log.after(job, 0, 1).await().indefinitely().isEmpty());
  }

  /**
   * Claims the job as a worker does ({@link JobTransitions#claim}) and writes its {@code running}
   * status; answers the claim's version.
   */
  public int start(UUID job, String key) {
    int version =
        JobTransitions.claim(pool(), job, version(job), OWNER, LEASE)
            .await()
            .atMost(WAIT)
            .flatMap(JobTransitions.ClaimAnswer::claim)
            .orElseThrow(() -> new IllegalStateException("job " + job + " cannot be claimed"))
            .version();
    append(job, JobEvent.STATUS, version, jobJson(job, key));
    return version;
  }

  /** Streams pieces of output, each a {@code delta}. */
  public void stream(UUID job, int version, String... pieces) {
    int tokens = 0;
    for (String piece : pieces) {
      tokens++;
      append(job, JobEvent.DELTA, version, new DeltaData(piece, tokens).json());
    }
  }

  /**
   * Settles the attempt's cost into the job, records the result ({@link JobTransitions#succeed})
   * and announces the end, as the worker does after its commit.
   */
  public long succeed(UUID job, String content, int completionTokens) {
    String result =
        "{\"id\":\"chatcmpl-test\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\""
            + content
            + "\"},\"finish_reason\":\"stop\"}]}";
    update("UPDATE jobs SET cost_usd = 0.000012 WHERE id = '" + job + "'");
    JobTransitions.Answer answer =
        new JobTransitions.Answer(result, 5, completionTokens, 5 + completionTokens, "simulated");
    if (!JobTransitions.succeed(pool(), job, version(job), answer).await().atMost(WAIT)) {
      throw new IllegalStateException("job " + job + " is not running");
    }
    return announcer.announce(job).await().atMost(WAIT);
  }

  private int version(UUID job) {
    return (Integer)
        query("SELECT version FROM jobs WHERE id = '" + job + "'").getFirst().get("version");
  }

  private static Pool pool() {
    return Arc.container().instance(Pool.class).get();
  }

  private void append(UUID job, String type, int version, String data) {
    long id = log.append(job, type, version, data).await().atMost(WAIT);
    if (id <= 0) {
      throw new IllegalStateException("event refused: " + id);
    }
  }

  private static String jobJson(UUID job, String key) {
    return given()
        .header("Authorization", "Bearer " + key)
        .get("/v1/jobs/" + job)
        .then()
        .statusCode(200)
        .extract()
        .asString();
  }

  private java.sql.Connection db() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:" + services.dbUrl(TestServices.testDatabase()),
        services.pgUser(),
        services.pgPassword());
  }

  public void update(String sql) {
    try (var connection = db();
        var statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public List<Map<String, Object>> query(String sql) {
    try (var connection = db();
        var statement = connection.createStatement();
        var rows = statement.executeQuery(sql)) {
      List<Map<String, Object>> all = new ArrayList<>();
      while (rows.next()) {
        Map<String, Object> row = new HashMap<>();
        for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
          row.put(rows.getMetaData().getColumnName(i), rows.getObject(i));
        }
        all.add(row);
      }
      return all;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
