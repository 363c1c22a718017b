package io.llmq.api.context;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which messages {@code trim} may drop, and in which groups (plain JUnit: no request is sent). */
class DroppableTurnsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ArrayNode roles(String... roles) {
    ArrayNode messages = JSON.createArrayNode();
    for (String role : roles) {
      messages.addObject().put("role", role).put("content", "x");
    }
    return messages;
  }

  @Test
  void eachUserMessageOpensATurnThatKeepsItsAssistantAndToolMessages() {
    assertEquals(
        List.of(List.of(1, 2), List.of(3, 4, 6)),
        ContextWindow.droppableTurns(
            roles(
                "system", "user", "assistant", "user", "assistant", "developer", "tool", "user")));
  }

  @Test
  void messagesBeforeTheFirstUserMessageAreATurnOfTheirOwn() {
    assertEquals(
        List.of(List.of(1), List.of(2, 3)),
        ContextWindow.droppableTurns(roles("system", "assistant", "user", "assistant", "user")));
  }

  @Test
  void theLastUserMessageAndWhatFollowsItAreNeverDropped() {
    // The current turn's tool round trip stays with the question it answers.
    assertEquals(
        List.of(List.of(0, 1)),
        ContextWindow.droppableTurns(roles("user", "assistant", "user", "assistant", "tool")));
  }

  @Test
  void nothingCanBeDroppedFromASingleTurnOrFromSystemMessages() {
    assertEquals(List.of(), ContextWindow.droppableTurns(roles("system", "developer", "user")));
    assertEquals(List.of(), ContextWindow.droppableTurns(roles("user")));
    // Without any user message there is no earlier turn to tell apart: nothing is dropped.
    assertEquals(
        List.of(), ContextWindow.droppableTurns(roles("system", "assistant", "assistant")));
  }
}
