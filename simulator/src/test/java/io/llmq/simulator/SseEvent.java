package io.llmq.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** One server-sent event read from a raw response body: its name (null if none) and its data. */
public record SseEvent(String event, String data) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static List<SseEvent> parse(String body) {
    List<SseEvent> events = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      String event = null;
      String data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          event = line.substring("event: ".length());
        } else if (line.startsWith("data: ")) {
          data = line.substring("data: ".length());
        }
      }
      events.add(new SseEvent(event, data));
    }
    return events;
  }

  public JsonNode json() {
    try {
      return JSON.readTree(data);
    } catch (JsonProcessingException e) {
      throw new AssertionError("event data is not JSON: " + data, e);
    }
  }

  public boolean isJson() {
    try {
      JSON.readTree(data);
      return true;
    } catch (JsonProcessingException e) {
      return false;
    }
  }
}
