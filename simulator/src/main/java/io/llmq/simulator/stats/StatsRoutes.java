package io.llmq.simulator.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** {@code GET /stats} reads the counters; {@code POST /stats/reset} starts them over. */
@ApplicationScoped
public class StatsRoutes {

  private final Stats stats;
  private final ObjectMapper json;

  StatsRoutes(Stats stats, ObjectMapper json) {
    this.stats = stats;
    this.json = json;
  }

  void routes(@Observes Router router) {
    router.get("/stats").handler(this::show);
    router.post("/stats/reset").handler(this::reset);
  }

  private void show(RoutingContext ctx) {
    String body;
    try {
      body = json.writeValueAsString(stats.snapshot());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stats are plain numbers and strings", e);
    }
    ctx.response().putHeader("content-type", "application/json").end(body);
  }

  private void reset(RoutingContext ctx) {
    stats.reset();
    show(ctx);
  }
}
