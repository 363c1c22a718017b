package io.llmq.simulator.answer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated model's answer: words from a fixed vocabulary, one token each, drawn by a PRNG
 * seeded from the conversation, so the same conversation always gets the same answer. Its natural
 * length is 20 to 200 tokens; a lower limit cuts it (and a cut answer is a prefix of the uncut
 * one). A structured answer ({@link #json}) is a JSON text in pieces of four characters, one token
 * each, joined without spaces.
 *
 * @param joined whether the pieces join without spaces (a JSON text)
 */
public record Answer(List<String> words, boolean cut, boolean joined) {

  public Answer(List<String> words, boolean cut) {
    this(words, cut, false);
  }

  /** {@code text} as an answer of four-character tokens, cut after {@code limit} of them. */
  public static Answer json(String text, int limit) {
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < text.length(); i += 4) {
      pieces.add(text.substring(i, Math.min(text.length(), i + 4)));
    }
    boolean cut = pieces.size() > limit;
    return new Answer(List.copyOf(cut ? pieces.subList(0, limit) : pieces), cut, true);
  }

  private static final String[] VOCABULARY = {
    "the",
    "simulated",
    "model",
    "answers",
    "every",
    "request",
    "with",
    "words",
    "from",
    "a",
    "small",
    "fixed",
    "list",
    "so",
    "tests",
    "can",
    "trust",
    "what",
    "they",
    "read",
    "each",
    "word",
    "counts",
    "as",
    "one",
    "token",
    "and",
    "arrives",
    "at",
    "steady",
    "pace",
    "after",
    "short",
    "pause",
    "buckets",
    "refill",
    "over",
    "minute",
    "while",
    "limits",
    "keep",
    "callers",
    "honest",
    "faults",
    "appear",
    "when",
    "asked",
    "streams",
    "end",
    "done",
    "prompt",
    "cache",
    "remembers",
    "prefixes",
    "for",
    "key",
    "benchmarks",
    "measure",
    "throughput",
    "latency",
    "retries",
    "wait",
    "their",
    "turn"
  };

  static final int SHORTEST = 20;
  static final int LONGEST = 200;

  public static Answer to(Conversation conversation, int limit) {
    SplittableRandom random = new SplittableRandom(conversation.seed());
    int natural = SHORTEST + random.nextInt(LONGEST - SHORTEST + 1);
    int length = Math.min(natural, limit);
    List<String> words = new ArrayList<>(length);
    for (int i = 0; i < length; i++) {
      words.add(VOCABULARY[random.nextInt(VOCABULARY.length)]);
    }
    return new Answer(List.copyOf(words), natural > limit);
  }

  public int size() {
    return words.size();
  }

  /** Token {@code i} as streamed: the word, after a space unless it is the first. */
  public String piece(int i) {
    return i == 0 || joined ? words.get(i) : " " + words.get(i);
  }

  public String text() {
    return String.join(joined ? "" : " ", words);
  }
}
