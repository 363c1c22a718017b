package io.llmq.api.http;

import io.llmq.api.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/**
 * A position in a list ordered by {@code (created_at, id)}: the last row of a page, opaque to
 * clients. Times keep PostgreSQL's microseconds, so a row's position is exact.
 */
public record Cursor(OffsetDateTime createdAt, UUID id) {

  public static Cursor of(Instant createdAt, UUID id) {
    return new Cursor(createdAt.atOffset(ZoneOffset.UTC), id);
  }

  public String encode() {
    Instant at = createdAt.toInstant();
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, at);
    String plain = micros + "_" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  public static Cursor decode(String encoded) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
      int split = plain.indexOf('_');
      long micros = Long.parseLong(plain.substring(0, split));
      UUID id = UUID.fromString(plain.substring(split + 1));
      Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
      return new Cursor(at.atOffset(ZoneOffset.UTC), id);
    } catch (RuntimeException e) {
      throw ProblemException.invalid("'after' is not a cursor this API returned.");
    }
  }
}
