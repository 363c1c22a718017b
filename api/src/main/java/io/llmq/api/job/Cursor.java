package io.llmq.api.job;

import io.llmq.api.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/** A position in a tenant's job list: the last job of a page, opaque to clients. */
record Cursor(OffsetDateTime createdAt, UUID id) {

  static Cursor after(JobRecord job) {
    return new Cursor(job.createdAt(), job.id());
  }

  String encode() {
    Instant at = createdAt.toInstant();
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, at);
    String plain = micros + "_" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  static Cursor decode(String encoded) {
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
