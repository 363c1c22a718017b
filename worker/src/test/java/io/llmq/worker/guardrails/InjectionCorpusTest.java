package io.llmq.worker.guardrails;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.common.guardrails.Verdict;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Measures the injection heuristics on the labelled corpus ({@code
 * guardrails/injection-corpus.jsonl}, written by {@code
 * bench/guardrails/make_injection_corpus.py}): the detection rate on hostile prompts, per family
 * and overall, and the false-positive rate on benign ones, printed for {@code docs/benchmarks.md},
 * with floors well below the measured figures so a regression fails the build.
 */
class InjectionCorpusTest {

  private record Sample(String label, String family, String text) {}

  private static List<Sample> corpus() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Sample> samples = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(
                InjectionCorpusTest.class.getResourceAsStream("/guardrails/injection-corpus.jsonl"),
                StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        JsonNode row = json.readTree(line);
        samples.add(
            new Sample(
                row.get("label").asText(), row.get("family").asText(), row.get("text").asText()));
      }
    }
    return samples;
  }

  @Test
  void theHeuristicsCatchMostInjectionsAndFlagFewBenignPrompts() throws IOException {
    InjectionHeuristics heuristics = new InjectionHeuristics(0.5);
    Map<String, int[]> byFamily = new TreeMap<>();
    int hostile = 0;
    int caught = 0;
    int benign = 0;
    int falsePositives = 0;
    List<String> misses = new ArrayList<>();
    for (Sample sample : corpus()) {
      Verdict verdict = heuristics.judge(List.of(sample.text()));
      int[] counts =
          byFamily.computeIfAbsent(sample.label() + "/" + sample.family(), f -> new int[2]);
      counts[0]++;
      if (verdict.flagged()) {
        counts[1]++;
      }
      if ("injection".equals(sample.label())) {
        hostile++;
        caught += verdict.flagged() ? 1 : 0;
        if (!verdict.flagged()) {
          misses.add("missed  " + sample.family() + ": " + printable(sample.text()));
        }
      } else {
        benign++;
        if (verdict.flagged()) {
          falsePositives++;
          misses.add(
              "flagged "
                  + sample.family()
                  + " "
                  + verdict.categories()
                  + ": "
                  + printable(sample.text()));
        }
      }
    }
    double detection = (double) caught / hostile;
    double falsePositiveRate = (double) falsePositives / benign;
    System.out.printf(
        "injection corpus: %d prompts (%d injection, %d benign)%n",
        hostile + benign, hostile, benign);
    byFamily.forEach((family, counts) ->
        System.out.printf("  %-36s %3d prompts, %3d flagged%n", family, counts[0], counts[1]));
    System.out.printf(
        "detection rate %.1f%% (%d/%d), false-positive rate %.1f%% (%d/%d)%n",
        100 * detection, caught, hostile, 100 * falsePositiveRate, falsePositives, benign);
    misses.forEach(miss -> System.out.println("  " + miss));
    assertTrue(hostile + benign >= 200, "the corpus has at least 200 prompts");
    assertTrue(detection >= 0.80, "detection rate " + detection);
    assertTrue(falsePositiveRate <= 0.08, "false-positive rate " + falsePositiveRate);
  }

  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints()
        .limit(110)
        .forEach(c -> {
          if (c < 0x20 || (c >= 0x200B && c <= 0x206F) || c == 0xFEFF || c >= 0xE0000) {
            out.append(String.format("\\u{%X}", c));
          } else {
            out.appendCodePoint(c);
          }
        });
    return out.toString();
  }
}
