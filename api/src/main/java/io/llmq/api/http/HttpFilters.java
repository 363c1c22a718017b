package io.llmq.api.http;

import io.llmq.api.config.ApiConfig;
import io.llmq.api.problem.ErrorCode;
import io.llmq.api.problem.Problems;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Route handlers that run before Quarkus REST: the request id, and the body size limit, which
 * refuses an oversized body with problem+json before reading it. Bodies without a length (chunked)
 * are cut off by the HTTP layer at the same size.
 */
@ApplicationScoped
public class HttpFilters {

  private final long maxBytes;
  private final Problems problems;

  HttpFilters(ApiConfig config, Problems problems) {
    this.maxBytes = config.maxBodySize().asLongValue();
    this.problems = problems;
  }

  void install(@Observes Router router) {
    router.route().order(-200).handler(RequestIds::assign);
    router.route().order(-199).handler(this::limitBody);
    router.route().order(-198).handler(BodyHandler.create(false).setBodyLimit(maxBytes));
    router.route().order(-198).failureHandler(this::tooLarge);
  }

  /** A chunked body that outgrew the limit while it was read. */
  private void tooLarge(RoutingContext context) {
    if (context.statusCode() == 413 && !context.response().headWritten()) {
      refuse(context);
      return;
    }
    context.next();
  }

  private void limitBody(RoutingContext context) {
    String length = context.request().getHeader("Content-Length");
    if (length != null && exceeds(length)) {
      refuse(context);
      return;
    }
    context.next();
  }

  private void refuse(RoutingContext context) {
    problems.write(
        context,
        ErrorCode.PAYLOAD_TOO_LARGE,
        "The request body is larger than " + maxBytes + " bytes.");
  }

  private boolean exceeds(String length) {
    try {
      return Long.parseLong(length.trim()) > maxBytes;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
