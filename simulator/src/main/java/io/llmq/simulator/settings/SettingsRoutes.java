package io.llmq.simulator.settings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.configuration.DurationConverter;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code GET /admin/config} shows the settings in force; {@code PUT /admin/config} changes some of
 * them, given as a JSON object with snake_case keys ({@code tokens_per_minute}, {@code
 * time_to_first_token}, {@code error_rate}, …). Keys left out keep their value.
 */
@ApplicationScoped
public class SettingsRoutes {

  private static final String JSON = "application/json";

  private final LiveSettings settings;
  private final ObjectMapper json;

  SettingsRoutes(LiveSettings settings, ObjectMapper json) {
    this.settings = settings;
    this.json = json;
  }

  void routes(@Observes Router router) {
    router.get("/admin/config").handler(this::show);
    router.put("/admin/config").handler(BodyHandler.create(false)).handler(this::change);
  }

  private void show(RoutingContext ctx) {
    ctx.response().putHeader("content-type", JSON).end(toJson(settings.current()).toString());
  }

  private void change(RoutingContext ctx) {
    Settings next;
    try {
      next = patched(settings.current(), readObject(ctx));
    } catch (IllegalArgumentException e) {
      ObjectNode error = JsonNodeFactory.instance.objectNode().put("error", e.getMessage());
      ctx.response().setStatusCode(400).putHeader("content-type", JSON).end(error.toString());
      return;
    }
    settings.replace(next);
    show(ctx);
  }

  private JsonNode readObject(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    JsonNode patch;
    try {
      patch = body == null ? null : json.readTree(body.getBytes());
    } catch (IOException e) {
      patch = null;
    }
    if (patch == null || !patch.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object of settings");
    }
    return patch;
  }

  static ObjectNode toJson(Settings s) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("tokens_per_minute", s.tokensPerMinute())
        .put("requests_per_minute", s.requestsPerMinute())
        .put("time_to_first_token", s.timeToFirstToken().toMillis() + "ms")
        .put("tokens_per_second", s.tokensPerSecond())
        .put("error_rate", s.errorRate())
        .put("reset_rate", s.resetRate())
        .put("hang_rate", s.hangRate())
        .put("malformed_rate", s.malformedRate())
        .put("refund_unused", s.refundUnused())
        .put("limiter_count", s.limiterCount().wire())
        .put("outage", s.outage());
  }

  private static Settings patched(Settings s, JsonNode patch) {
    long tpm = s.tokensPerMinute();
    long rpm = s.requestsPerMinute();
    Duration ttft = s.timeToFirstToken();
    int tps = s.tokensPerSecond();
    double error = s.errorRate();
    double reset = s.resetRate();
    double hang = s.hangRate();
    double malformed = s.malformedRate();
    boolean refund = s.refundUnused();
    LimiterCount count = s.limiterCount();
    boolean outage = s.outage();
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode value = field.getValue();
      switch (field.getKey()) {
        case "tokens_per_minute" -> tpm = whole(field.getKey(), value);
        case "requests_per_minute" -> rpm = whole(field.getKey(), value);
        case "time_to_first_token" -> ttft = duration(value);
        case "tokens_per_second" ->
            tps = (int) Math.min(Integer.MAX_VALUE, whole(field.getKey(), value));
        case "error_rate" -> error = rate(field.getKey(), value);
        case "reset_rate" -> reset = rate(field.getKey(), value);
        case "hang_rate" -> hang = rate(field.getKey(), value);
        case "malformed_rate" -> malformed = rate(field.getKey(), value);
        case "refund_unused" -> {
          if (!value.isBoolean()) {
            throw new IllegalArgumentException("refund_unused must be true or false");
          }
          refund = value.booleanValue();
        }
        case "outage" -> {
          if (!value.isBoolean()) {
            throw new IllegalArgumentException("outage must be true or false");
          }
          outage = value.booleanValue();
        }
        case "limiter_count" -> {
          if (!value.isTextual()) {
            throw new IllegalArgumentException("limiter_count must be tokenizer or characters");
          }
          count = LimiterCount.fromWire(value.textValue());
        }
        default -> throw new IllegalArgumentException("unknown setting '" + field.getKey() + "'");
      }
    }
    return new Settings(tpm, rpm, ttft, tps, error, reset, hang, malformed, refund, count, outage);
  }

  private static long whole(String name, JsonNode value) {
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException(name + " must be a whole number");
    }
    return value.longValue();
  }

  private static double rate(String name, JsonNode value) {
    if (!value.isNumber()) {
      throw new IllegalArgumentException(name + " must be a number between 0 and 1");
    }
    return value.doubleValue();
  }

  /** A number is milliseconds; a string is a Quarkus duration ({@code 200ms}, {@code PT1S}). */
  private static Duration duration(JsonNode value) {
    if (value.isIntegralNumber()) {
      return Duration.ofMillis(value.longValue());
    }
    try {
      return DurationConverter.parseDuration(value.asText());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "time_to_first_token must be milliseconds or a duration such as \"200ms\"");
    }
  }
}
