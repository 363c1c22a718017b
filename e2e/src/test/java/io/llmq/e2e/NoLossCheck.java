package io.llmq.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The fault suite's bar, checked once the system has settled after a fault: every accepted job is
 * stored and terminal; none completed twice; every job's end reached its webhook at least once,
 * always under one {@code webhook-id}, signed; and no spend was lost (the cost shield: every
 * upstream call is in the ledger, every attempt settled, each job's cost the sum of its attempts,
 * the tenant's budget row the sum of the ledger with nothing left reserved). Violations are
 * collected, not thrown one by one, so a failing phase names everything it broke.
 */
final class NoLossCheck {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ENDED =
      Pattern.compile("Job\\(id=([0-9a-f-]{36})\\) (succeeded|failed|expired)\\s*$");

  /** gpt-4o-mini's prices per million tokens, as configured: what the simulator's calls cost. */
  private static final BigDecimal INPUT_PRICE = new BigDecimal("0.15");

  private static final BigDecimal OUTPUT_PRICE = new BigDecimal("0.60");
  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

  private final LlmqProcesses system;
  private final WebhookReceiver receiver;
  private final String tenantId;
  private final Webhook signature;

  /** What one check found: the figures to record, and every broken promise. */
  record Report(Map<String, Object> figures, List<String> violations) {}

  NoLossCheck(LlmqProcesses system, WebhookReceiver receiver, String tenantId, String secret) {
    this.system = system;
    this.receiver = receiver;
    this.tenantId = tenantId;
    try {
      this.signature = new Webhook(secret);
    } catch (Exception e) {
      throw new IllegalStateException("the tenant has no webhook secret", e);
    }
  }

  /**
   * Waits (up to {@code atMost}) for the system to settle, then checks every job of the run. {@code
   * accepted} holds every id the api accepted since the run began.
   */
  Report check(Collection<String> accepted, Duration atMost) {
    long started = System.nanoTime();
    List<String> violations = new ArrayList<>();
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      Awaitility.await("the system settles: no job open, every attempt settled, every webhook sent")
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(this::settled);
    } catch (ConditionTimeoutException e) {
      violations.add("not settled within " + atMost + ": " + openWork());
    }
    figures.put("settled_in_s", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
    Map<String, Map<String, Object>> jobs = jobs();
    checkStoredAndTerminal(accepted, jobs, violations);
    checkCompletedOnce(jobs, violations, figures);
    checkWebhooks(jobs, violations, figures);
    checkSpend(jobs, violations, figures);
    figures.put("jobs_in_database", jobs.size());
    figures.put("outcomes", count(jobs.values(), "status"));
    figures.put(
        "run_more_than_once",
        jobs.values().stream().filter(job -> (Integer) job.get("attempts") > 1).count());
    return new Report(figures, violations);
  }

  private boolean settled() {
    return openWork().isEmpty();
  }

  /** What still moves: open jobs, unsettled attempts, unsent webhooks, held reservations. */
  private String openWork() {
    Map<String, Object> open = new LinkedHashMap<>();
    Map<String, Object> row =
        system
            .rows(
                "SELECT (SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')) AS jobs,"
                    + " (SELECT count(*) FROM usage_ledger WHERE NOT settled) AS attempts,"
                    + " (SELECT count(*) FROM jobs WHERE webhook_url IS NOT NULL AND"
                    + " status NOT IN ('queued', 'running') AND terminal_event_id IS NULL)"
                    + " AS unannounced,"
                    + " (SELECT count(*) FROM webhook_deliveries WHERE state <> 'succeeded')"
                    + " AS webhooks,"
                    + " (SELECT coalesce(sum(reserved_usd), 0) FROM budget_months) AS reserved")
            .get(0);
    row.forEach((name, value) -> {
      if (value instanceof Number number && number.doubleValue() != 0) {
        open.put(name, value);
      }
    });
    long received =
        system
            .rows(
                "SELECT id::text AS id FROM jobs WHERE webhook_url IS NOT NULL"
                    + " AND status NOT IN ('queued', 'running')")
            .stream()
            .filter(job -> receiver.of((String) job.get("id")).isEmpty())
            .count();
    if (received > 0) {
      open.put("webhooks_not_received", received);
    }
    return open.isEmpty() ? "" : open.toString();
  }

  private Map<String, Map<String, Object>> jobs() {
    Map<String, Map<String, Object>> jobs = new HashMap<>();
    for (Map<String, Object> job :
        system.rows(
            "SELECT id::text AS id, status, attempts, max_attempts, cached, webhook_url,"
                + " terminal_event_id, completed_at, cost_usd, error_code FROM jobs")) {
      jobs.put((String) job.get("id"), job);
    }
    return jobs;
  }

  private static void checkStoredAndTerminal(
      Collection<String> accepted, Map<String, Map<String, Object>> jobs, List<String> violations) {
    List<String> lost = accepted.stream().filter(id -> !jobs.containsKey(id)).toList();
    if (!lost.isEmpty()) {
      violations.add(lost.size() + " accepted jobs are not in the database: " + first(lost));
    }
    List<String> open =
        jobs.values().stream()
            .filter(job -> Set.of("queued", "running").contains(job.get("status")))
            .map(job -> job.get("id") + " " + job.get("status"))
            .toList();
    if (!open.isEmpty()) {
      violations.add(open.size() + " jobs are not terminal: " + first(open));
    }
  }

  /**
   * Three witnesses that no job ended twice: the database's trigger writes one delivery row per
   * change from queued or running to an end, so a job with two rows ended twice; the workers log
   * each end they commit; and the body of the first webhook shows the job as it ended, so a later
   * change of its end shows as a difference.
   */
  private void checkCompletedOnce(
      Map<String, Map<String, Object>> jobs, List<String> violations, Map<String, Object> figures) {
    List<String> twice =
        system
            .rows(
                "SELECT job_id::text AS id, count(*) AS n FROM webhook_deliveries"
                    + " WHERE job_id IS NOT NULL AND NOT redelivery GROUP BY job_id"
                    + " HAVING count(*) > 1")
            .stream()
            .map(row -> row.get("id") + " x" + row.get("n"))
            .toList();
    if (!twice.isEmpty()) {
      violations.add(twice.size() + " jobs ended twice (delivery rows): " + first(twice));
    }
    Map<String, Integer> logged = loggedEnds();
    List<String> loggedTwice =
        logged.entrySet().stream()
            .filter(end -> end.getValue() > 1)
            .map(end -> end.getKey() + " x" + end.getValue())
            .toList();
    if (!loggedTwice.isEmpty()) {
      violations.add(
          loggedTwice.size() + " jobs ended twice (workers' logs): " + first(loggedTwice));
    }
    figures.put("ends_logged", logged.values().stream().mapToInt(Integer::intValue).sum());
    List<String> changed = new ArrayList<>();
    for (Map<String, Object> job : jobs.values()) {
      for (WebhookReceiver.Delivery delivery : receiver.of((String) job.get("id"))) {
        JsonNode data = read(delivery.body()).path("data");
        Instant completed = instant(job.get("completed_at"));
        if (!data.path("status").asText().equals(job.get("status"))
            || completed == null
            || !millis(OffsetDateTime.parse(data.path("completed_at").asText()).toInstant())
                .equals(millis(completed))) {
          changed.add(job.get("id") + " " + job.get("status"));
          break;
        }
      }
    }
    if (!changed.isEmpty()) {
      violations.add(
          changed.size() + " jobs changed after their webhook was sent: " + first(changed));
    }
  }

  private Map<String, Integer> loggedEnds() {
    Map<String, Integer> ends = new HashMap<>();
    for (Path log : system.workerLogs()) {
      if (!Files.exists(log)) {
        continue;
      }
      try (Stream<String> lines = Files.lines(log)) {
        lines.forEach(line -> {
          Matcher end = ENDED.matcher(line);
          if (end.find()) {
            ends.merge(end.group(1), 1, Integer::sum);
          }
        });
      } catch (IOException | java.io.UncheckedIOException e) {
        throw new IllegalStateException("cannot read " + log, e);
      }
    }
    return ends;
  }

  /**
   * SPEC §2 Webhooks: the end of a job with a {@code webhook_url} is POSTed at least once, every
   * attempt under the same {@code webhook-id} ({@code <job id>.<terminal event id>}), typed by the
   * job's status and signed with the tenant's secret.
   */
  private void checkWebhooks(
      Map<String, Map<String, Object>> jobs, List<String> violations, Map<String, Object> figures) {
    List<String> missing = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    int withWebhook = 0;
    int deliveries = 0;
    for (Map<String, Object> job : jobs.values()) {
      String id = (String) job.get("id");
      if (job.get("webhook_url") == null
          || Set.of("queued", "running").contains(job.get("status"))) {
        continue;
      }
      withWebhook++;
      List<WebhookReceiver.Delivery> received = receiver.of(id);
      deliveries += received.size();
      if (received.isEmpty()) {
        missing.add(id);
        continue;
      }
      Set<String> webhookIds =
          received.stream().map(WebhookReceiver.Delivery::webhookId).collect(Collectors.toSet());
      String expected = id + "." + job.get("terminal_event_id");
      if (!webhookIds.equals(Set.of(expected))) {
        ids.add(id + " " + webhookIds + " (expected " + expected + ")");
      }
      for (WebhookReceiver.Delivery delivery : received) {
        try {
          signature.verify(delivery.body(), delivery.headers());
        } catch (Exception e) {
          wrong.add(id + " bad signature");
        }
        if (!delivery.type().equals("job." + job.get("status"))) {
          wrong.add(id + " type " + delivery.type() + " for " + job.get("status"));
        }
      }
    }
    if (!missing.isEmpty()) {
      violations.add(missing.size() + " ended jobs never reached their webhook: " + first(missing));
    }
    if (!ids.isEmpty()) {
      violations.add(ids.size() + " jobs' webhooks came under other ids: " + first(ids));
    }
    if (!wrong.isEmpty()) {
      violations.add(wrong.size() + " webhook deliveries were wrong: " + first(wrong));
    }
    figures.put("webhooks_expected", withWebhook);
    figures.put("webhook_posts_received", deliveries);
  }

  /**
   * The cost shield: every upstream call the simulator saw is a ledger row (a row may have no call:
   * its worker died between the claim and the request), and what the simulator billed is covered by
   * what the ledger charged (an attempt lost with its worker is charged its worst case); every
   * attempt is settled, each job costs the sum of its attempts, and the tenant's budget has spent
   * exactly the ledger's sum, holding nothing in reserve.
   */
  private void checkSpend(
      Map<String, Map<String, Object>> jobs, List<String> violations, Map<String, Object> figures) {
    Map<String, Object> ledger =
        system
            .rows(
                "SELECT count(*) FILTER (WHERE provider = 'openai') AS openai_calls,"
                    + " coalesce(sum(cost_usd) FILTER (WHERE provider = 'openai'), 0) AS openai_usd,"
                    + " count(*) FILTER (WHERE NOT settled) AS unsettled,"
                    + " count(*) FILTER (WHERE outcome = 'lost') AS lost,"
                    + " count(*) FILTER (WHERE outcome = 'aborted') AS aborted,"
                    + " count(*) AS attempts,"
                    + " coalesce(sum(cost_usd) FILTER (WHERE settled), 0) AS settled_usd"
                    + " FROM usage_ledger WHERE kind = 'call' AND tenant_id = '"
                    + tenantId
                    + "'")
            .get(0);
    long upstream = system.simulatorStat("requests");
    BigDecimal billed =
        BigDecimal.valueOf(system.simulatorStat("prompt_tokens"))
            .multiply(INPUT_PRICE)
            .add(
                BigDecimal.valueOf(system.simulatorStat("completion_tokens"))
                    .multiply(OUTPUT_PRICE))
            .divide(MILLION);
    long openaiCalls = (Long) ledger.get("openai_calls");
    BigDecimal charged = (BigDecimal) ledger.get("openai_usd");
    if (upstream > openaiCalls) {
      violations.add(
          "the simulator served " + upstream + " calls, the ledger has " + openaiCalls + " rows");
    }
    // Each ledger row is rounded to 10 decimals on its own.
    BigDecimal rounding = new BigDecimal("1e-10").multiply(BigDecimal.valueOf(openaiCalls + 1));
    if (charged.add(rounding).compareTo(billed) < 0) {
      violations.add("the simulator billed $" + billed + ", the ledger charged $" + charged);
    }
    if ((Long) ledger.get("unsettled") > 0) {
      violations.add(ledger.get("unsettled") + " attempts are not settled");
    }
    List<String> costs =
        system
            .rows(
                "SELECT j.id::text AS id, j.cost_usd, l.sum AS ledger FROM jobs j LEFT JOIN"
                    + " (SELECT job_id, sum(cost_usd) AS sum FROM usage_ledger GROUP BY job_id) l"
                    + " ON l.job_id = j.id WHERE coalesce(j.cost_usd, 0) <> coalesce(l.sum, 0)")
            .stream()
            .map(row -> row.get("id") + " " + row.get("cost_usd") + " != " + row.get("ledger"))
            .toList();
    if (!costs.isEmpty()) {
      violations.add(costs.size() + " jobs cost other than their attempts: " + first(costs));
    }
    List<String> unledgered =
        system
            .rows(
                "SELECT j.id::text AS id, j.attempts, count(l.id) AS rows FROM jobs j"
                    + " LEFT JOIN usage_ledger l ON l.job_id = j.id AND l.kind = 'call'"
                    + " WHERE NOT j.cached GROUP BY j.id, j.attempts"
                    + " HAVING count(l.id) <> j.attempts")
            .stream()
            .map(row ->
                row.get("id") + " attempts " + row.get("attempts") + " rows " + row.get("rows"))
            .toList();
    if (!unledgered.isEmpty()) {
      violations.add(
          unledgered.size()
              + " jobs' attempts differ from their ledger rows: "
              + first(unledgered));
    }
    Map<String, Object> budget =
        system
            .rows(
                "SELECT coalesce(sum(spent_usd), 0) AS spent, coalesce(sum(reserved_usd), 0)"
                    + " AS reserved, count(*) AS months FROM budget_months"
                    + " WHERE scope = 'tenant' AND scope_id = '"
                    + tenantId
                    + "'")
            .get(0);
    BigDecimal settled = (BigDecimal) ledger.get("settled_usd");
    if ((Long) budget.get("months") == 0) {
      violations.add("the tenant has no budget row");
    } else if (((BigDecimal) budget.get("spent")).compareTo(settled) != 0) {
      violations.add("the budget spent $" + budget.get("spent") + ", the ledger says $" + settled);
    }
    if (((BigDecimal) budget.get("reserved")).signum() != 0) {
      violations.add("the budget still holds $" + budget.get("reserved") + " reserved");
    }
    figures.put("upstream_calls", upstream);
    figures.put("ledger_attempts", ledger.get("attempts"));
    figures.put("ledger_openai_rows", openaiCalls);
    figures.put("attempts_lost", ledger.get("lost"));
    figures.put("attempts_aborted", ledger.get("aborted"));
    figures.put("simulator_billed_usd", billed.stripTrailingZeros().toPlainString());
    figures.put("ledger_charged_usd", charged.stripTrailingZeros().toPlainString());
    figures.put(
        "budget_spent_usd",
        ((BigDecimal) budget.get("spent")).stripTrailingZeros().toPlainString());
  }

  private static Map<String, Long> count(Collection<Map<String, Object>> rows, String column) {
    return rows.stream()
        .collect(
            Collectors.groupingBy(
                row -> String.valueOf(row.get(column)), TreeMap::new, Collectors.counting()));
  }

  private static Instant millis(Instant time) {
    return time.truncatedTo(ChronoUnit.MILLIS);
  }

  private static Instant instant(Object timestamp) {
    return switch (timestamp) {
      case null -> null;
      case Timestamp sql -> sql.toInstant();
      case OffsetDateTime offset -> offset.toInstant();
      default -> throw new IllegalStateException("not a time: " + timestamp.getClass());
    };
  }

  private static JsonNode read(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String first(List<String> items) {
    Set<String> shown = new HashSet<>(items.subList(0, Math.min(5, items.size())));
    return shown + (items.size() > 5 ? " ..." : "");
  }
}
