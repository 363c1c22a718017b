package io.llmq.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console in a real browser: {@code e2e/browser/console.spec.mjs} drives Debian's headless
 * Chromium with playwright-core against the packaged api and worker (sign in, submit, watch the
 * stream, see the cost, sign out, sign in as the admin) and writes the README's screenshots to
 * docs/console/. Without node or Chromium the test is skipped with a message, except under {@code
 * LLMQ_REQUIRE_BROWSER=1} (.ci/run), where it fails.
 */
class ConsoleBrowserIT {

  private static final Path ROOT = repositoryRoot();
  private static final Path BROWSER = ROOT.resolve("e2e/browser");

  private static LlmqProcesses system;
  private static String key;
  private static String node;
  private static String absent;

  @BeforeAll
  static void start() throws Exception {
    node = program("node") != null ? program("node") : program("nodejs");
    String npm = program("npm");
    String chromium = System.getenv().getOrDefault("LLMQ_CHROMIUM", "/usr/bin/chromium");
    if (node == null || npm == null) {
      absent = "node or npm is not installed (Debian: apt-get install nodejs npm";
    } else if (!Files.isExecutable(Path.of(chromium))) {
      absent = "Chromium (" + chromium + ") is not installed (Debian: apt-get install chromium";
    }
    if (absent != null) {
      absent += "; .ci/run installs it): the console's browser test does not run";
      if ("1".equals(System.getenv("LLMQ_REQUIRE_BROWSER"))) {
        fail(absent + ", and LLMQ_REQUIRE_BROWSER=1");
      }
      return;
    }
    installPinnedPackages(npm);
    // Slow enough for the output to arrive as several deltas, as a person would watch it.
    system = new LlmqProcesses().with("LLMQ_SIMULATOR_TOKENS_PER_SECOND", "50");
    system.start();
    key = system.newTenant("console").key();
  }

  @AfterAll
  static void stop() {
    if (system != null) {
      system.close();
    }
  }

  @Test
  void aTenantSignsInSubmitsAndWatchesTheJobStream() throws Exception {
    Assumptions.assumeTrue(absent == null, absent);
    Path log = Files.createTempFile("console-e2e", ".log");
    ProcessBuilder run =
        new ProcessBuilder(node, "console.spec.mjs")
            .directory(BROWSER.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    run.environment().put("LLMQ_CONSOLE_URL", "http://127.0.0.1:" + system.apiPort());
    run.environment().put("LLMQ_CONSOLE_KEY", key);
    run.environment().put("LLMQ_CONSOLE_TENANT", "console");
    run.environment().put("LLMQ_CONSOLE_ADMIN_TOKEN", LlmqProcesses.ADMIN_TOKEN);
    run.environment().put("LLMQ_CONSOLE_SCREENSHOTS", ROOT.resolve("docs/console").toString());
    Process process = run.start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail("the browser test did not end within 5 minutes:\n" + Files.readString(log));
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertEquals(0, process.exitValue(), "console.spec.mjs failed:\n" + output);
    assertTrue(output.contains("ok: the SSE parser splits frames"), output);
    assertTrue(output.contains("ok: streamed text appeared"), output);
    assertTrue(output.contains("ok: the cost is shown"), output);
    assertTrue(output.contains("ok: the admin token shows the tenants"), output);
    assertTrue(output.strip().endsWith("console e2e: ok"), output);
  }

  /**
   * {@code npm ci} from the committed lock (playwright-core only: it downloads no browser), when
   * node_modules is missing or was installed from another lock.
   */
  private static void installPinnedPackages(String npm) throws IOException, InterruptedException {
    Path lock = BROWSER.resolve("package-lock.json");
    Path installed = BROWSER.resolve("node_modules/.llmq-installed-lock");
    if (Files.exists(installed) && Files.mismatch(lock, installed) == -1) {
      return;
    }
    Process process =
        new ProcessBuilder(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
            .directory(BROWSER.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      fail("npm ci in e2e/browser failed:\n" + output);
    }
    Files.copy(lock, installed, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The program on the PATH, or null. */
  private static String program(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }

  private static Path repositoryRoot() {
    String property = System.getProperty("llmq.root");
    if (property != null && Files.exists(Path.of(property, "e2e/browser/package.json"))) {
      return Path.of(property).toAbsolutePath();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve("e2e/browser/package.json"))
          && Files.exists(dir.resolve("mvnw"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
  }
}
