package io.llmq.worker.provider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Recorded provider responses under {@code samples/} in the test resources. */
public final class Samples {

  private Samples() {}

  /** A sample's bytes, by path below {@code samples/} ({@code anthropic/message.json}). */
  public static byte[] bytes(String name) {
    try (InputStream in = Samples.class.getResourceAsStream("/samples/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no sample " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A sample as UTF-8 text. */
  public static String text(String name) {
    return new String(bytes(name), java.nio.charset.StandardCharsets.UTF_8);
  }
}
