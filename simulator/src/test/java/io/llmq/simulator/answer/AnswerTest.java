package io.llmq.simulator.answer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerTest {

  @Test
  void naturalAnswersRunFrom20To200Tokens() {
    for (int i = 0; i < 500; i++) {
      Answer answer = Answer.to(conversation("prompt " + i), Integer.MAX_VALUE);
      assertTrue(answer.size() >= 20 && answer.size() <= 200, "size " + answer.size());
      assertFalse(answer.cut());
    }
  }

  @Test
  void aLimitCutsTheAnswerToAPrefixOfTheWholeOne() {
    Answer whole = Answer.to(conversation("hello"), Integer.MAX_VALUE);
    Answer cut = Answer.to(conversation("hello"), 7);

    assertTrue(cut.cut());
    assertEquals(whole.words().subList(0, 7), cut.words());
  }

  @Test
  void streamedPiecesJoinIntoTheText() {
    Answer answer = Answer.to(conversation("hello"), 5);
    StringBuilder pieces = new StringBuilder();
    for (int i = 0; i < answer.size(); i++) {
      pieces.append(answer.piece(i));
    }

    assertEquals(answer.text(), pieces.toString());
    assertFalse(answer.piece(0).startsWith(" "));
    assertTrue(answer.piece(1).startsWith(" "));
  }

  private static Conversation conversation(String prompt) {
    return new Conversation("m", List.of(new Turn("user", List.of(new Block(prompt, false)))));
  }
}
