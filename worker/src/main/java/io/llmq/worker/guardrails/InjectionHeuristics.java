package io.llmq.worker.guardrails;

import io.llmq.common.guardrails.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The prompt-injection screen's heuristics, in five families: {@code instruction_override}, {@code
 * role_impersonation} and {@code prompt_leak} are phrase rules ({@link InjectionPhrases}) read in
 * the visible text; {@code hidden_text} counts characters a reader does not see ({@link
 * HiddenText}) and scores high when they spell or split an instruction; {@code encoded_payload}
 * scores high when a base64 or hex blob, or the text in ROT13, reversed or in leetspeak, reads as
 * an instruction the plain text does not give ({@link EncodedPayloads}). A family scoring the
 * configured flag score or more flags the input.
 */
public final class InjectionHeuristics {

  /** The verdict's {@code checker}. */
  public static final String CHECKER = "heuristics";

  static final String HIDDEN = "hidden_text";
  static final String ENCODED = "encoded_payload";

  /** The families, in the order the verdict lists their scores. */
  public static final List<String> FAMILIES =
      List.of(
          InjectionPhrases.OVERRIDE, InjectionPhrases.ROLE, InjectionPhrases.LEAK, HIDDEN, ENCODED);

  private static final Pattern HTML_COMMENT = Pattern.compile("<!--(.*?)-->", Pattern.DOTALL);

  private final double flagScore;

  public InjectionHeuristics(double flagScore) {
    this.flagScore = flagScore;
  }

  /** The verdict on these texts, each read on its own; a family's score is its highest. */
  public Verdict judge(List<String> texts) {
    Map<String, Double> scores = new LinkedHashMap<>();
    FAMILIES.forEach(family -> scores.put(family, 0.0));
    for (String text : texts) {
      scores(text).forEach((family, score) -> scores.merge(family, score, Math::max));
    }
    List<String> found = new ArrayList<>();
    scores.replaceAll((family, score) -> Math.round(score * 10_000) / 10_000.0);
    scores.forEach((family, score) -> {
      if (score >= flagScore) {
        found.add(family);
      }
    });
    return new Verdict(!found.isEmpty(), CHECKER, found, scores);
  }

  /** Each family's score in one text. */
  Map<String, Double> scores(String text) {
    HiddenText hidden = HiddenText.of(text);
    String visible = hidden.visible();
    Map<String, Double> scores = new LinkedHashMap<>(InjectionPhrases.scores(visible));
    double hiddenScore = hidden.suspicious() >= 3 ? 0.6 : hidden.suspicious() > 0 ? 0.2 : 0;
    if (!hidden.tagged().isBlank()) {
      hiddenScore = Math.max(hiddenScore, 0.85);
      hiddenScore =
          Math.max(hiddenScore, revealed(scores, InjectionPhrases.scores(hidden.tagged())));
    }
    if (hidden.suspicious() > 0) {
      // Hidden characters splitting the words of an instruction ("ig\u200bnore ...").
      hiddenScore =
          Math.max(hiddenScore, revealedBeyond(InjectionPhrases.scores(text), scores, 0.9));
    }
    java.util.regex.Matcher comment = HTML_COMMENT.matcher(visible);
    while (comment.find()) {
      if (top(InjectionPhrases.scores(comment.group(1))) >= flagScore) {
        hiddenScore = Math.max(hiddenScore, 0.8);
      }
    }
    scores.put(HIDDEN, hiddenScore);
    double encoded = EncodedPayloads.asksToDecodeAndObey(visible) ? 0.6 : 0;
    for (String blob : EncodedPayloads.decodedBlobs(visible)) {
      encoded = Math.max(encoded, revealed(scores, InjectionPhrases.scores(blob)));
    }
    Map<String, Double> plain = Map.copyOf(scores);
    for (String reading :
        List.of(
            EncodedPayloads.rot13(visible),
            EncodedPayloads.reversed(visible),
            EncodedPayloads.unleet(visible))) {
      Map<String, Double> read = InjectionPhrases.scores(reading);
      encoded = Math.max(encoded, revealedBeyond(plain, read, 0.85));
      read.forEach((family, score) -> scores.merge(family, score, Math::max));
    }
    scores.merge(ENCODED, encoded, Math::max);
    return scores;
  }

  /**
   * A hidden reading's families join {@code scores}; the reading scores 0.95 when it holds an
   * instruction, else 0.
   */
  private double revealed(Map<String, Double> scores, Map<String, Double> reading) {
    reading.forEach((family, score) -> scores.merge(family, score, Math::max));
    return top(reading) >= flagScore ? 0.95 : 0;
  }

  /** {@code score} when {@code reading} flags a family that {@code plain} does not, else 0. */
  private double revealedBeyond(
      Map<String, Double> plain, Map<String, Double> reading, double score) {
    for (Map.Entry<String, Double> family : reading.entrySet()) {
      if (family.getValue() >= flagScore && plain.getOrDefault(family.getKey(), 0.0) < flagScore) {
        return score;
      }
    }
    return 0;
  }

  private static double top(Map<String, Double> scores) {
    return scores.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
  }
}
