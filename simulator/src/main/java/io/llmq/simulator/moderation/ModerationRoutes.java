package io.llmq.simulator.moderation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.simulator.call.InvalidRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.List;
import java.util.UUID;

/**
 * OpenAI's moderation API, {@code POST /v1/moderations}: verdicts from {@link ModerationJudge}, in
 * OpenAI's shape, at once (no pacing, no rate limit); an input that asks for a fault gets it.
 */
@ApplicationScoped
public class ModerationRoutes {

  static final String DEFAULT_MODEL = "omni-moderation-latest";

  private final ObjectMapper json;

  ModerationRoutes(ObjectMapper json) {
    this.json = json;
  }

  void routes(@Observes Router router) {
    router.post("/v1/moderations").handler(BodyHandler.create(false)).handler(this::moderate);
  }

  private void moderate(RoutingContext ctx) {
    List<String> texts;
    try {
      texts = ModerationJudge.inputs(body(ctx));
    } catch (InvalidRequest e) {
      error(ctx, 400, e.getMessage(), "invalid_request_error");
      return;
    }
    String fault = ModerationJudge.faultAskedBy(texts);
    if (fault != null) {
      fail(ctx, fault);
      return;
    }
    JsonNode body = ctx.get("body");
    ObjectNode answer =
        JsonNodeFactory.instance
            .objectNode()
            .put("id", "modr-" + UUID.randomUUID().toString().replace("-", ""))
            .put("model", body.path("model").asText(DEFAULT_MODEL));
    ArrayNode results = answer.putArray("results");
    texts.forEach(text -> results.add(ModerationJudge.result(text)));
    ctx.response().putHeader("content-type", "application/json").end(answer.toString());
  }

  private void fail(RoutingContext ctx, String fault) {
    switch (fault) {
      case "hang" -> {
        // Accepted and never answered: the client's timeout is what is being tested.
      }
      case "malformed" ->
          ctx.response().putHeader("content-type", "application/json").end("{\"results\": [");
      case "429" -> {
        ctx.response().putHeader("retry-after", "1");
        error(ctx, 429, "Rate limit reached for moderations.", "requests");
      }
      default ->
          error(
              ctx,
              Integer.parseInt(fault),
              "The server had an error while processing your request. Sorry about that!",
              "server_error");
    }
  }

  private JsonNode body(RoutingContext ctx) {
    Buffer buffer = ctx.body().buffer();
    JsonNode node = null;
    try {
      node = buffer == null ? null : json.readTree(buffer.getBytes());
    } catch (IOException e) {
      // answered below, like any other body that is not a JSON object
    }
    InvalidRequest.unless(
        node != null && node.isObject(),
        "We could not parse the JSON body of your request: it must be a JSON object.");
    ctx.put("body", node);
    return node;
  }

  private static void error(RoutingContext ctx, int status, String message, String type) {
    ObjectNode error = JsonNodeFactory.instance.objectNode();
    error
        .putObject("error")
        .put("message", message)
        .put("type", type)
        .putNull("param")
        .putNull("code");
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(error.toString());
  }
}
