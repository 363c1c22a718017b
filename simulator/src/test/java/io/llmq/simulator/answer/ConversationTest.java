package io.llmq.simulator.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConversationTest {

  @Test
  void promptTokensAreFourPerMessagePlusOnePerFourCharactersRoundedUp() {
    Conversation conversation =
        new Conversation(
            "m",
            List.of(
                turn("system", "12345678"),
                new Turn("user", List.of(new Block("12345", false), new Block("6", false))),
                new Turn("assistant", List.of())));

    assertEquals((4 + 2) + (4 + 2) + 4, conversation.promptTokens());
  }

  @Test
  void theSeedDependsOnModelRolesAndTextButNotOnWhereBlocksSplit() {
    long seed = new Conversation("m", List.of(turn("user", "ab"))).seed();

    assertEquals(seed, new Conversation("m", List.of(turn("user", "ab"))).seed());
    assertNotEquals(seed, new Conversation("n", List.of(turn("user", "ab"))).seed());
    assertNotEquals(seed, new Conversation("m", List.of(turn("system", "ab"))).seed());
    assertNotEquals(seed, new Conversation("m", List.of(turn("user", "abc"))).seed());
    Turn split = new Turn("user", List.of(new Block("a", false), new Block("b", false)));
    assertNotEquals(seed, new Conversation("m", List.of(split)).seed());
  }

  @Test
  void aCachePrefixCountsTheTokensUpToAndIncludingItsBlock() {
    Conversation conversation =
        new Conversation(
            "m",
            List.of(
                new Turn("system", List.of(new Block("12345678", true))),
                new Turn("user", List.of(new Block("1234", true), new Block("5678", false))),
                turn("user", "later")));

    List<CachePrefix> prefixes = conversation.cachePrefixes();

    assertEquals(List.of(6, 6 + 5), prefixes.stream().map(CachePrefix::tokens).toList());
    Conversation longer =
        new Conversation(
            "m",
            List.of(
                new Turn("system", List.of(new Block("12345678", true))),
                turn("user", "something else")));
    assertEquals(prefixes.getFirst(), longer.cachePrefixes().getFirst());
  }

  private static Turn turn(String role, String text) {
    return new Turn(role, List.of(new Block(text, false)));
  }
}
