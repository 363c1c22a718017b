package io.llmq.simulator.answer;

import java.util.List;

/** One message of a conversation (Anthropic's {@code system} counts as one too). */
public record Turn(String role, List<Block> blocks) {

  /** Four tokens of overhead plus one per four characters of text, rounded up. */
  static int tokens(int chars) {
    return 4 + (chars + 3) / 4;
  }

  /** One token per four characters of text, rounded up, plus three of overhead. */
  static int characterTokens(int chars) {
    return (chars + 3) / 4 + 3;
  }

  int chars() {
    return blocks.stream().mapToInt(block -> block.text().length()).sum();
  }
}
