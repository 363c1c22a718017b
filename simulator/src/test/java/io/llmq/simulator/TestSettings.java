package io.llmq.simulator;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import java.util.HashMap;
import java.util.Map;

/**
 * Simulator settings for tests, applied through {@code PUT /admin/config} as a benchmark would: no
 * pacing, the default limits, no random faults.
 */
public final class TestSettings {

  private TestSettings() {}

  /** Instant answers, default limits, no faults; also undoes whatever a test changed. */
  public static void fast() {
    put(Map.of());
  }

  /** The fast settings with {@code changes} on top. */
  public static void put(Map<String, Object> changes) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("tokens_per_minute", 2_000_000);
    settings.put("requests_per_minute", 10_000);
    settings.put("time_to_first_token", 0);
    settings.put("tokens_per_second", 100_000);
    settings.put("error_rate", 0);
    settings.put("reset_rate", 0);
    settings.put("hang_rate", 0);
    settings.put("malformed_rate", 0);
    settings.put("refund_unused", false);
    settings.put("limiter_count", "tokenizer");
    settings.put("outage", false);
    settings.putAll(changes);
    given()
        .contentType(ContentType.JSON)
        .body(settings)
        .put("/admin/config")
        .then()
        .statusCode(200);
  }
}
