package io.llmq.worker.provider;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a server-sent-events byte stream into lines, whatever the chunk boundaries: a line (or a
 * multi-byte character) cut between two network chunks is joined before it is decoded. Accepts
 * {@code \n} and {@code \r\n} endings.
 */
public final class SseLines {

  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  /** The complete lines that {@code chunk} finishes, without their endings. */
  public List<String> feed(byte[] chunk) {
    List<String> lines = new ArrayList<>();
    for (byte b : chunk) {
      if (b == '\n') {
        lines.add(takeLine());
      } else {
        pending.write(b);
      }
    }
    return lines;
  }

  /** Whatever is left after the stream ended (a last line without an ending), or empty. */
  public List<String> finish() {
    return pending.size() == 0 ? List.of() : List.of(takeLine());
  }

  private String takeLine() {
    String line = pending.toString(StandardCharsets.UTF_8);
    pending.reset();
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }
}
