package io.llmq.worker.guardrails;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.guardrails.Verdict;
import io.llmq.common.output.ResponseFormat;
import io.llmq.worker.provider.TestProviderConfig;
import io.vertx.mutiny.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Prints the latency each input screen adds to a job (p50, p99), on the corpus prompts: the local
 * moderation rules, the injection heuristics, and the moderation endpoint of the simulator module
 * through the worker's own client. Not part of the build (its name is no test's): {@code
 * bench/guardrails/latency.sh} starts the simulator and runs it with {@code
 * -Dllmq.bench.simulator=<url>}; without that property the endpoint is skipped.
 */
class ScreensLatencyBench {

  private static final int WARM_UP = 300;
  private static final int MEASURED = 3000;

  @Test
  void printTheLatencyOfEachScreen() throws IOException {
    List<String> prompts = prompts();
    InjectionHeuristics heuristics = new InjectionHeuristics(0.5);
    report("local moderation rules", prompts, text -> LocalModerationRules.judge(List.of(text)));
    report("injection heuristics", prompts, text -> heuristics.judge(List.of(text)));
    reportValidation();
    String simulator = System.getProperty("llmq.bench.simulator");
    if (simulator == null) {
      System.out.println("moderation endpoint: skipped (no -Dllmq.bench.simulator)");
      return;
    }
    Vertx vertx = Vertx.vertx();
    try {
      OpenAiModeration endpoint =
          new OpenAiModeration(
              "bench",
              TestProviderConfig.of("openai", simulator + "/v1").withStream(false),
              "omni-moderation-latest",
              Duration.ofSeconds(5),
              vertx,
              new ObjectMapper());
      report(
          "moderation endpoint (simulator)",
          prompts,
          text -> endpoint.judge(List.of(text)).await().atMost(Duration.ofSeconds(10)));
    } finally {
      vertx.closeAndAwait();
    }
  }

  /**
   * The output check a {@code json_schema} job's answer passes (ResponseFormat): a schema of five
   * typed, required properties, and answers that pass and fail it in turn. The schema is compiled
   * once per job, as the worker does, so it is in each measured run.
   */
  private static void reportValidation() throws IOException {
    ObjectMapper json = new ObjectMapper();
    JsonNode request =
        json.readTree(
            "{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\","
                + "\"schema\":{\"type\":\"object\",\"required\":[\"name\",\"age\",\"tags\","
                + "\"email\",\"score\"],\"properties\":{\"name\":{\"type\":\"string\","
                + "\"minLength\":2},\"age\":{\"type\":\"integer\",\"minimum\":0},\"tags\":"
                + "{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"email\":{\"type\":"
                + "\"string\"},\"score\":{\"type\":\"number\"}}}}}}");
    List<String> answers =
        List.of(
            "{\"name\":\"Ada\",\"age\":36,\"tags\":[\"a\",\"b\"],\"email\":\"a@b.c\","
                + "\"score\":0.5}",
            "{\"name\":\"A\",\"age\":-1,\"tags\":\"x\"}");
    report(
        "output validation (json_schema)",
        answers,
        answer -> {
          List<String> errors = ResponseFormat.of(request).orElseThrow().errorsOf(answer);
          return new Verdict(!errors.isEmpty(), "json-schema", List.of(), null);
        });
  }

  private static void report(String check, List<String> prompts, Function<String, Verdict> run) {
    for (int i = 0; i < WARM_UP; i++) {
      run.apply(prompts.get(i % prompts.size()));
    }
    long[] nanos = new long[MEASURED];
    for (int i = 0; i < MEASURED; i++) {
      String text = prompts.get(i % prompts.size());
      long start = System.nanoTime();
      Verdict verdict = run.apply(text);
      nanos[i] = System.nanoTime() - start;
      assertTrue(verdict.checker() != null);
    }
    Arrays.sort(nanos);
    System.out.printf(
        "%-34s n=%d  p50 %8.1f us  p99 %8.1f us  max %8.1f us%n",
        check,
        MEASURED,
        nanos[MEASURED / 2] / 1000.0,
        nanos[(int) (MEASURED * 0.99)] / 1000.0,
        nanos[MEASURED - 1] / 1000.0);
  }

  private static List<String> prompts() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> prompts = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(
                ScreensLatencyBench.class.getResourceAsStream("/guardrails/injection-corpus.jsonl"),
                StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        JsonNode row = json.readTree(line);
        prompts.add(row.get("text").asText());
      }
    }
    return prompts;
  }
}
