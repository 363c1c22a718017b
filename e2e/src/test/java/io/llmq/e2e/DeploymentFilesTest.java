package io.llmq.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Offline checks of what docker/ ships, for a machine without a Docker engine (issue 16): the
 * images' Dockerfiles and .dockerignore, the compose file, the Prometheus configuration and alert
 * rules (promtool, with a unit test of every alert), and the Grafana dashboard. No service is
 * needed. promtool comes from Debian's {@code prometheus} package; where it is missing these checks
 * are skipped with a message, except under {@code LLMQ_REQUIRE_PROMTOOL=1} (.ci/run), where a
 * missing promtool fails them.
 */
class DeploymentFilesTest {

  private static final Path ROOT = repositoryRoot();
  private static final Path DOCKER = ROOT.resolve("docker");
  private static final List<String> MODULES_WITH_IMAGES = List.of("api", "worker", "simulator");

  /**
   * The metric names the dashboard and the alerts may query: those the apps publish (the metrics
   * contract of issue 16, as /q/metrics shows them) and the ones Quarkus and Prometheus make.
   */
  private static final Set<String> COUNTERS =
      Set.of(
          "llmq_jobs_finished_total",
          "llmq_cache_hits_total",
          "llmq_cache_misses_total",
          "llmq_tokens_total",
          "llmq_cost_usd_total",
          "llmq_provider_responses_total",
          "llmq_retries_total",
          "llmq_webhook_deliveries_total",
          "llmq_governor_pauses_total");

  private static final Set<String> GAUGES =
      Set.of(
          "llmq_sse_streams",
          "llmq_circuit_state",
          "llmq_budget_remaining_usd",
          "llmq_budget_used_ratio",
          "llmq_queue_messages",
          "llmq_outbox_backlog",
          "llmq_outbox_oldest_seconds",
          "llmq_governor_utilization");

  /** Timers with histogram buckets: each name also stands for its _bucket, _count, _sum, _max. */
  private static final Set<String> HISTOGRAMS =
      Set.of(
          "llmq_provider_call_seconds",
          "llmq_provider_ttft_seconds",
          "llmq_governor_wait_seconds",
          "http_server_requests_seconds");

  /** The existing guardrail counters and timer (llmq_guardrails_flagged_total, ...). */
  private static final String GUARDRAILS_PREFIX = "llmq_guardrails_";

  /** Micrometer's JVM and process meters in Quarkus, and Prometheus's own up. */
  private static final Set<String> PLATFORM =
      Set.of(
          "up",
          "jvm_memory_used_bytes",
          "jvm_memory_max_bytes",
          "jvm_threads_live_threads",
          "process_cpu_usage",
          "system_cpu_usage");

  /** Words of PromQL that look like metric names. */
  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan");

  private static final ObjectMapper JSON = new ObjectMapper();

  // --- Dockerfiles and .dockerignore ---

  @Test
  void dockerignoreKeepsLocalStateBuildOutputAndHistoryOutOfTheContext() throws IOException {
    Set<String> patterns = dockerignore();
    for (String required : List.of(".llmq/", "**/target/", ".git/", "bench/out/")) {
      assertTrue(patterns.contains(required), ".dockerignore must exclude " + required);
    }
  }

  @Test
  void imagesBuildFromSourceOnPinnedBasesAndRunUnprivilegedWithAHealthCheck() throws IOException {
    Set<String> ignored = dockerignore();
    List<String> modules = rootModules();
    for (String module : MODULES_WITH_IMAGES) {
      Path file = DOCKER.resolve(module + ".Dockerfile");
      List<String> lines = instructions(file);
      String name = file.getFileName().toString();

      Set<String> stages = new LinkedHashSet<>();
      List<List<String>> byStage = new ArrayList<>();
      for (String line : lines) {
        if (keyword(line).equals("FROM")) {
          String[] words = line.split("\\s+");
          String image = words[1];
          if (!image.equals("scratch") && !stages.contains(image)) {
            assertPinned(name + " FROM " + image, image);
          }
          if (words.length >= 4 && words[2].equalsIgnoreCase("AS")) {
            stages.add(words[3]);
          }
          byStage.add(new ArrayList<>());
        }
        assertFalse(byStage.isEmpty(), name + ": an instruction before the first FROM: " + line);
        byStage.get(byStage.size() - 1).add(line);
      }
      assertTrue(byStage.size() >= 2, name + " must be a multi-stage build");

      // The build stage: every module's pom before the sources (the reactor reads them all),
      // and the Maven wrapper building this module and what it needs.
      String all = String.join("\n", lines);
      for (String pom : modules) {
        assertTrue(
            all.contains("COPY " + pom + "/pom.xml "),
            name + " must copy " + pom + "/pom.xml (the reactor reads every module's pom)");
      }
      assertTrue(
          all.contains("./mvnw -B -ntp -pl " + module + " -am package -DskipTests"),
          name + " must build " + module + " with the wrapper");
      assertTrue(
          all.indexOf("go-offline") < all.indexOf("COPY " + module + "/src/"),
          name + ": dependencies must resolve before the sources are copied (layer cache)");
      for (String line : lines) {
        if (keyword(line).equals("COPY") && !line.contains("--from=")) {
          List<String> words = List.of(line.split("\\s+"));
          for (String source : words.subList(1, words.size() - 1)) {
            Path path = ROOT.resolve(source);
            assertTrue(Files.exists(path), name + " copies " + source + ", which does not exist");
            for (String pattern : ignored) {
              String dir = pattern.endsWith("/") ? pattern : pattern + "/";
              assertFalse(
                  source.startsWith(dir) || source.equals(pattern),
                  name + " copies " + source + ", which .dockerignore excludes");
            }
          }
        }
      }

      // The runtime stage: the last one.
      List<String> runtime = byStage.get(byStage.size() - 1);
      String runtimeText = String.join("\n", runtime);
      List<String> users =
          runtime.stream()
              .filter(l -> keyword(l).equals("USER"))
              .map(l -> l.split("\\s+")[1])
              .toList();
      assertFalse(users.isEmpty(), name + ": the runtime stage must set USER");
      String user = users.get(users.size() - 1);
      assertFalse(
          user.equals("0") || user.equals("root") || user.startsWith("0:"),
          name + ": the runtime user must not be root: " + user);
      assertTrue(
          runtime.stream().anyMatch(l -> keyword(l).equals("HEALTHCHECK") && l.contains("CMD")),
          name + ": the runtime stage must have a HEALTHCHECK");
      assertTrue(
          runtimeText.contains("-XX:MaxRAMPercentage="),
          name + ": the JVM's heap must follow the container's memory (-XX:MaxRAMPercentage)");
      assertTrue(
          runtime.stream().anyMatch(l -> keyword(l).equals("ENTRYPOINT")),
          name + ": the runtime stage must have an ENTRYPOINT");
    }
  }

  // --- compose ---

  @Test
  void composePublishesOnLoopbackOnlyPinsImagesAndRunsTheWholeStackInOneProfile()
      throws IOException {
    Map<String, Object> compose = yaml(DOCKER.resolve("compose.yml"));
    Map<String, Object> services = map(compose.get("services"));
    Set<String> full = new TreeSet<>();
    for (Map.Entry<String, Object> entry : services.entrySet()) {
      String service = entry.getKey();
      Map<String, Object> spec = map(entry.getValue());

      Object image = spec.get("image");
      assertTrue(image instanceof String, service + " must name its image");
      if (spec.containsKey("build")) {
        assertFalse(((String) image).endsWith(":latest"), service + ": no latest tag");
        Map<String, Object> build = map(spec.get("build"));
        Path dockerfile =
            DOCKER.resolve((String) build.get("context")).resolve((String) build.get("dockerfile"));
        assertTrue(Files.exists(dockerfile.normalize()), service + ": no " + dockerfile);
      } else {
        assertPinned(service, (String) image);
      }

      for (Object port : list(spec.get("ports"))) {
        if (port instanceof Map<?, ?> longSyntax) {
          assertEquals("127.0.0.1", longSyntax.get("host_ip"), service + " publishes " + port);
        } else {
          assertTrue(
              String.valueOf(port).startsWith("127.0.0.1:"),
              service + " publishes " + port + " on every interface: bind it to 127.0.0.1");
        }
      }

      for (Object volume : list(spec.get("volumes"))) {
        String source = String.valueOf(volume).split(":")[0];
        if (source.startsWith(".")) {
          assertTrue(
              Files.exists(DOCKER.resolve(source).normalize()),
              service + " mounts " + source + ", which does not exist");
        }
      }

      Object dependsOn = spec.get("depends_on");
      Set<String> dependencies =
          dependsOn instanceof Map<?, ?> m
              ? m.keySet().stream().map(String::valueOf).collect(Collectors.toSet())
              : list(dependsOn).stream().map(String::valueOf).collect(Collectors.toSet());
      for (String dependency : dependencies) {
        assertTrue(services.containsKey(dependency), service + " depends on unknown " + dependency);
      }

      List<Object> profiles = list(spec.get("profiles"));
      if (profiles.isEmpty() || profiles.contains("full")) {
        full.add(service);
      }
    }
    // One command (--profile full) runs every part of the stack.
    assertEquals(
        new TreeSet<>(
            List.of(
                "postgres",
                "rabbitmq",
                "redis",
                "api",
                "worker",
                "simulator",
                "prometheus",
                "grafana",
                "otel-collector",
                "jaeger")),
        full);

    // The worker calls the simulator, and both apps export traces to the collector.
    for (String app : List.of("api", "worker")) {
      Map<String, Object> env = map(map(services.get(app)).get("environment"));
      assertEquals("http://simulator:8090/v1", env.get("LLMQ_OPENAI_BASE_URL"), app);
      assertEquals("http://simulator:8090", env.get("LLMQ_ANTHROPIC_BASE_URL"), app);
      assertEquals(
          "http://otel-collector:4317", env.get("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT"), app);
      assertTrue(String.valueOf(env.get("QUARKUS_OTEL_SDK_DISABLED")).contains("false"), app);
    }
  }

  /**
   * Where a compose client exists (the Docker CLI's plugin, else the standalone docker-compose),
   * its own rendering of the file must pass too; rendering needs no engine.
   */
  @Test
  void composeRendersWithDockerComposeWhereAClientExists() throws Exception {
    List<String> client = List.of("docker", "compose");
    if (!run(List.of("docker", "compose", "version")).ok()) {
      client = List.of("docker-compose");
      Assumptions.assumeTrue(
          run(List.of("docker-compose", "version")).ok(),
          "neither docker compose nor docker-compose is installed here: the YAML checks above stand in for them");
    }
    List<String> command = new ArrayList<>(client);
    command.addAll(
        List.of(
            "-f", DOCKER.resolve("compose.yml").toString(), "--profile", "full", "config", "-q"));
    Result config = run(command);
    assertTrue(config.ok(), String.join(" ", command) + ":\n" + config.output());
  }

  // --- Prometheus ---

  @Test
  void prometheusConfigAndAlertRulesPassPromtoolAndEveryAlertFiresInItsUnitTest() throws Exception {
    String promtool = promtool();
    Path prometheus = DOCKER.resolve("prometheus");
    for (List<String> command :
        List.of(
            List.of(promtool, "check", "config", prometheus.resolve("prometheus.yml").toString()),
            List.of(promtool, "check", "rules", prometheus.resolve("alerts.yml").toString()),
            List.of(promtool, "test", "rules", prometheus.resolve("alerts.test.yml").toString()))) {
      Result result = run(command);
      assertTrue(result.ok(), String.join(" ", command) + ":\n" + result.output());
    }
  }

  @Test
  void everyAlertHasAUnitTestInWhichItFiresAndQueriesOnlyKnownMetrics() throws IOException {
    Path prometheus = DOCKER.resolve("prometheus");
    Set<String> alerts = new TreeSet<>();
    for (Object group : list(yaml(prometheus.resolve("alerts.yml")).get("groups"))) {
      for (Object rule : list(map(group).get("rules"))) {
        Map<String, Object> r = map(rule);
        alerts.add((String) r.get("alert"));
        assertKnownMetrics("alert " + r.get("alert"), (String) r.get("expr"));
      }
    }
    assertEquals(
        Set.of(
            "LlmqUpstreamRateLimited",
            "LlmqDeadLetters",
            "LlmqBudgetNearlySpent",
            "LlmqOutboxBacklog",
            "LlmqWebhookFailures",
            "LlmqSubmitLatencyHigh",
            "LlmqCircuitOpen"),
        alerts);

    Set<String> firing = new TreeSet<>();
    for (Object test : list(yaml(prometheus.resolve("alerts.test.yml")).get("tests"))) {
      for (Object check : list(map(test).get("alert_rule_test"))) {
        Map<String, Object> c = map(check);
        if (!list(c.get("exp_alerts")).isEmpty()) {
          firing.add((String) c.get("alertname"));
        }
      }
    }
    assertEquals(alerts, firing, "every alert must fire in alerts.test.yml");
  }

  // --- Grafana ---

  @Test
  void dashboardParsesUsesTheProvisionedDatasourceAndQueriesOnlyKnownMetrics() throws IOException {
    Map<String, Object> datasources =
        yaml(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yml"));
    Set<String> uids =
        list(datasources.get("datasources")).stream()
            .map(d -> String.valueOf(map(d).get("uid")))
            .collect(Collectors.toSet());
    Map<String, Object> provider =
        map(
            list(yaml(DOCKER.resolve("grafana/provisioning/dashboards/llmq.yml")).get("providers"))
                .get(0));
    assertEquals("/var/lib/grafana/dashboards", map(provider.get("options")).get("path"));

    JsonNode dashboard = JSON.readTree(DOCKER.resolve("grafana/dashboards/llmq.json").toFile());
    assertEquals("llmq", dashboard.path("uid").asText());
    Map<String, String> exprs = dashboardExpressions(dashboard, uids);
    assertTrue(exprs.size() >= 20, "the dashboard has only " + exprs.size() + " queries");
    Set<String> queried = new TreeSet<>();
    exprs.forEach((where, expr) -> queried.addAll(assertKnownMetrics(where, expr)));

    // Every metric llmq publishes has a panel.
    Set<String> missing = new TreeSet<>();
    for (String name : union(COUNTERS, GAUGES, HISTOGRAMS)) {
      if (queried.stream().noneMatch(q -> q.equals(name) || q.startsWith(name + "_"))) {
        missing.add(name);
      }
    }
    assertTrue(missing.isEmpty(), "no panel queries " + missing);
    assertTrue(
        queried.stream().anyMatch(q -> q.startsWith(GUARDRAILS_PREFIX)), "no guardrails panel");
  }

  /**
   * The observability files point at each other as the compose file names them: Prometheus scrapes
   * the apps' /q/metrics at their service names and ports, Grafana's datasources are those
   * services, and the collector's traces pipeline is made of components it defines and exports to
   * Jaeger.
   */
  @Test
  void observabilityFilesReferToTheComposeServices() throws IOException {
    Map<String, Object> services = map(yaml(DOCKER.resolve("compose.yml")).get("services"));

    Set<String> targets = new TreeSet<>();
    for (Object job :
        list(yaml(DOCKER.resolve("prometheus/prometheus.yml")).get("scrape_configs"))) {
      Map<String, Object> j = map(job);
      assertEquals("/q/metrics", j.get("metrics_path"), "scrape job " + j.get("job_name"));
      for (Object config : list(j.get("static_configs"))) {
        for (Object target : list(map(config).get("targets"))) {
          targets.add(String.valueOf(target));
        }
      }
    }
    assertEquals(Set.of("api:8080", "worker:8081"), targets);

    for (Object datasource :
        list(
            yaml(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yml"))
                .get("datasources"))) {
      String url = String.valueOf(map(datasource).get("url"));
      String host = url.replaceFirst("^https?://", "").replaceFirst("[:/].*$", "");
      assertTrue(
          services.containsKey(host), "Grafana datasource " + url + " is not a compose service");
    }

    Map<String, Object> collector = yaml(DOCKER.resolve("otel-collector/config.yaml"));
    Map<String, Object> traces =
        map(map(map(collector.get("service")).get("pipelines")).get("traces"));
    for (String kind : List.of("receivers", "processors", "exporters")) {
      Map<String, Object> defined = map(collector.get(kind));
      for (Object component : list(traces.get(kind))) {
        assertTrue(
            defined.containsKey(String.valueOf(component)),
            "collector " + kind + ": " + component + " is not defined");
      }
    }
    Set<String> endpoints = new TreeSet<>();
    for (Object exporter : list(traces.get("exporters"))) {
      endpoints.add(
          String.valueOf(
              map(map(collector.get("exporters")).get(String.valueOf(exporter))).get("endpoint")));
    }
    assertEquals(Set.of("jaeger:4317"), endpoints);
    assertTrue(services.containsKey("jaeger"));
  }

  /** The dashboard's queries are valid PromQL: promtool parses them as recording rules. */
  @Test
  void dashboardQueriesParseAsPromql(@TempDir Path dir) throws Exception {
    String promtool = promtool();
    JsonNode dashboard = JSON.readTree(DOCKER.resolve("grafana/dashboards/llmq.json").toFile());
    Map<String, String> exprs = dashboardExpressions(dashboard, null);
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int i = 0;
    for (String expr : exprs.values()) {
      // Grafana's interval variables become a fixed range for the check.
      String promql = expr.replaceAll("\\$__(rate_)?interval|\\$__range", "5m");
      rules
          .append("      - record: dashboard:query_")
          .append(i++)
          .append("\n        expr: ")
          .append(JSON.writeValueAsString(promql))
          .append('\n');
    }
    Path file = dir.resolve("dashboard-queries.yml");
    Files.writeString(file, rules);
    Result result = run(List.of(promtool, "check", "rules", file.toString()));
    assertTrue(result.ok(), "promtool check rules (dashboard queries):\n" + result.output());
  }

  // --- helpers ---

  /** panel title and target ref -> expr, over rows' nested panels too. */
  private static Map<String, String> dashboardExpressions(JsonNode dashboard, Set<String> uids) {
    Map<String, String> exprs = new LinkedHashMap<>();
    Set<Integer> ids = new LinkedHashSet<>();
    List<JsonNode> panels = new ArrayList<>();
    dashboard.path("panels").forEach(panels::add);
    for (int i = 0; i < panels.size(); i++) {
      JsonNode panel = panels.get(i);
      panel.path("panels").forEach(panels::add);
      assertTrue(ids.add(panel.path("id").asInt()), "duplicate panel id " + panel.path("id"));
      for (JsonNode target : panel.path("targets")) {
        String where =
            "panel \"" + panel.path("title").asText() + "\" " + target.path("refId").asText();
        String expr = target.path("expr").asText();
        assertFalse(expr.isBlank(), where + " has no expr");
        if (uids != null) {
          String uid =
              target
                  .path("datasource")
                  .path("uid")
                  .asText(panel.path("datasource").path("uid").asText());
          assertTrue(
              uids.contains(uid), where + " uses datasource " + uid + ", which is not provisioned");
        }
        exprs.put(where, expr);
      }
    }
    return exprs;
  }

  private static final Pattern STRING =
      Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");

  /**
   * The metric names in a PromQL expression, each asserted to be one the apps or Quarkus publish.
   */
  private static Set<String> assertKnownMetrics(String where, String expr) {
    String bare = STRING.matcher(expr).replaceAll("\"\"");
    bare = bare.replaceAll("\\{[^}]*\\}", "").replaceAll("\\[[^\\]]*\\]", "");
    bare = GROUPING.matcher(bare).replaceAll("");
    bare = bare.replaceAll("\\$\\{?\\w+\\}?", "");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(bare);
    while (m.find()) {
      String name = m.group(1);
      if (PROMQL_WORDS.contains(name.toLowerCase())) {
        continue;
      }
      names.add(name);
      assertTrue(
          known(name), where + " queries " + name + ", which no llmq app or Quarkus publishes");
    }
    assertFalse(names.isEmpty(), where + " queries no metric: " + expr);
    return names;
  }

  private static boolean known(String name) {
    if (COUNTERS.contains(name) || GAUGES.contains(name) || PLATFORM.contains(name)) {
      return true;
    }
    if (name.startsWith(GUARDRAILS_PREFIX)) {
      return true;
    }
    for (String histogram : HISTOGRAMS) {
      for (String suffix : List.of("", "_bucket", "_count", "_sum", "_max")) {
        if (name.equals(histogram + suffix)) {
          return true;
        }
      }
    }
    return false;
  }

  private static final Pattern PINNED =
      Pattern.compile("[^:@\\s]+(?::[^:@\\s]*\\d+\\.\\d+[^:@\\s]*)?(?:@sha256:[0-9a-f]{64})?");

  /** image:tag with a release version in the tag (at least major.minor), or a digest. */
  private static void assertPinned(String where, String image) {
    boolean digest = image.contains("@sha256:");
    int colon = image.lastIndexOf(':');
    boolean tag =
        !digest
            && colon > image.lastIndexOf('/')
            && image.substring(colon + 1).matches(".*\\d+\\.\\d+.*");
    assertTrue(
        PINNED.matcher(image).matches() && (digest || tag),
        where + ": " + image + " is not pinned to a release (image:1.2.3)");
    assertFalse(image.endsWith(":latest"), where + ": " + image);
  }

  private static String promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    if ("1".equals(System.getenv("LLMQ_REQUIRE_PROMTOOL"))) {
      fail(
          "promtool is not installed, and LLMQ_REQUIRE_PROMTOOL=1: install Debian's prometheus package");
    }
    Assumptions.abort(
        "promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it): the"
            + " Prometheus configuration, alert rules and dashboard queries are not checked");
    return null;
  }

  private record Result(int exit, String output) {
    boolean ok() {
      return exit == 0;
    }
  }

  private static Result run(List<String> command) throws IOException, InterruptedException {
    Process process;
    try {
      process =
          new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
    } catch (IOException notInstalled) {
      return new Result(127, notInstalled.getMessage());
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      return new Result(-1, output + "\n(timed out)");
    }
    return new Result(process.exitValue(), output);
  }

  /** The Dockerfile's instructions, one a line: continuations joined, comments dropped. */
  private static List<String> instructions(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : Files.readAllLines(file)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      out.add(current.toString().strip().replaceAll("\\s+", " "));
      current.setLength(0);
    }
    return out;
  }

  private static String keyword(String instruction) {
    return instruction.split("\\s+", 2)[0].toUpperCase();
  }

  private static Set<String> dockerignore() throws IOException {
    return Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  private static List<String> rootModules() throws IOException {
    Matcher m =
        Pattern.compile("<module>([^<]+)</module>")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    List<String> modules = new ArrayList<>();
    while (m.find()) {
      modules.add(m.group(1).strip());
    }
    assertFalse(modules.isEmpty());
    return modules;
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    return map(new Yaml().load(Files.readString(file)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    assertTrue(value instanceof Map, "expected a mapping, got " + value);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    if (value == null) {
      return List.of();
    }
    assertTrue(value instanceof List, "expected a list, got " + value);
    return (List<Object>) value;
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> all = new TreeSet<>();
    for (Set<String> set : sets) {
      all.addAll(set);
    }
    return all;
  }

  private static Path repositoryRoot() {
    String property = System.getProperty("llmq.root");
    if (property != null && Files.exists(Path.of(property, "docker", "compose.yml"))) {
      return Path.of(property).toAbsolutePath();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve("docker/compose.yml")) && Files.exists(dir.resolve("mvnw"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
  }
}
