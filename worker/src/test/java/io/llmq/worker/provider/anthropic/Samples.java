package io.llmq.worker.provider.anthropic;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Recorded Anthropic responses under {@code samples/anthropic/}. */
final class Samples {

  private Samples() {}

  static byte[] bytes(String name) {
    try (InputStream in = Samples.class.getResourceAsStream("/samples/anthropic/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no sample " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
