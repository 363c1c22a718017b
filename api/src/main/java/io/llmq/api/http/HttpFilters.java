package io.llmq.api.http;

import io.llmq.api.config.ApiConfig;
import io.llmq.api.problem.ErrorCode;
import io.llmq.api.problem.Problems;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.regex.Pattern;

/**
 * Route handlers that run before Quarkus REST: the request id, the body size limit, which refuses
 * an oversized body with problem+json before reading it (bodies without a length, chunked, are cut
 * off by the HTTP layer at the same size), and the presence and type of a JSON endpoint's body.
 */
@ApplicationScoped
public class HttpFilters {

  private final long maxBytes;
  private final long bodyTimeoutMs;
  private final Problems problems;
  private final Vertx vertx;

  HttpFilters(ApiConfig config, Problems problems, Vertx vertx) {
    this.maxBytes = config.maxBodySize().asLongValue();
    this.bodyTimeoutMs = config.bodyTimeout().toMillis();
    this.problems = problems;
    this.vertx = vertx;
  }

  void install(@Observes Router router) {
    router.route().order(-200).handler(RequestIds::assign);
    router.route().order(-200).handler(this::boundBody);
    router.route().order(-199).handler(this::limitBody);
    router.route().order(-198).handler(BodyHandler.create(false).setBodyLimit(maxBytes));
    router.route().order(-198).failureHandler(this::failed);
    router.route().order(-197).handler(this::bodyPresent);
  }

  /**
   * A body still arriving {@code llmq.api.body-timeout} after the headers is refused and its
   * connection closed: a client that drips its body would otherwise hold the connection, since the
   * idle timeout restarts with every byte.
   */
  private void boundBody(RoutingContext context) {
    if (context.request().isEnded()) {
      context.next();
      return;
    }
    long timer =
        vertx.setTimer(
            bodyTimeoutMs,
            id -> {
              if (!context.request().isEnded() && !context.response().headWritten()) {
                context.response().putHeader("Connection", "close");
                problems.write(
                    context,
                    ErrorCode.INVALID_REQUEST,
                    "The request body did not arrive within " + bodyTimeoutMs / 1000 + " s.");
                context.response().endHandler(ignored -> context.request().connection().close());
              }
            });
    context.addEndHandler(ignored -> vertx.cancelTimer(timer));
    context.next();
  }

  /**
   * The endpoints whose body is a JSON document, by method and path: POST /v1/jobs, the admin's
   * tenant and key creation, and their PATCHes. (Cancel, redeliver and secret rotation take none.)
   */
  private static final Pattern JSON_BODY =
      Pattern.compile(
          "(POST /v1/jobs|POST /v1/admin/tenants|PATCH /v1/admin/tenants/[^/]+"
              + "|POST /v1/admin/tenants/[^/]+/keys|PATCH /v1/admin/keys/[^/]+)/?");

  /**
   * A JSON endpoint's body must be there and say what it is. An empty one is a 400 at once: Quarkus
   * REST would otherwise wait for the end of a request the body handler has already consumed, and
   * never answer. One without a {@code Content-Type} is a 415 (SPEC §2 Errors).
   */
  private void bodyPresent(RoutingContext context) {
    if (!takesJson(context)) {
      context.next();
      return;
    }
    if (context.request().getHeader("Content-Type") == null) {
      problems.write(
          context,
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Send the body as JSON, with 'Content-Type: application/json'.");
      return;
    }

    if (context.body() == null || context.body().length() == 0) {
      empty(context);
      return;
    }
    if (!utf8(context.body().buffer())) {
      problems.write(
          context, ErrorCode.INVALID_REQUEST, "The request body must be JSON encoded in UTF-8.");
      return;
    }
    context.next();
  }

  /**
   * Whether the body is not UTF-16 or UTF-32 (RFC 8259 §8.1: JSON between systems is UTF-8), told
   * as the RFC's appendix does, by a byte-order mark or a zero among the first bytes: a JSON text
   * starts with an ASCII character, so a zero there means a wider encoding. Jackson would read such
   * a body anyway, and what the application meant to send is better asked than guessed.
   */
  private static boolean utf8(Buffer body) {
    int first = Byte.toUnsignedInt(body.getByte(0));
    if (first == 0xFE || first == 0xFF) {
      return false;
    }
    for (int i = 0; i < Math.min(4, body.length()); i++) {
      if (body.getByte(i) == 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Any failure of a route that reached no resource (a chunked body that outgrew the limit while it
   * was read, a handler that failed) is answered in problem+json like every other error, never with
   * the framework's own page; a 5xx is logged with its cause, which the body never shows.
   */
  private void failed(RoutingContext context) {
    if (context.response().headWritten()) {
      context.next();
      return;
    }
    if (context.statusCode() == 413) {
      refuse(context);
      return;
    }
    int status = context.statusCode() < 400 ? 500 : context.statusCode();
    ErrorCode code = ErrorCode.forStatus(status);
    if (code.status() >= 500) {
      Log.errorf(
          context.failure(),
          "Request %s %s failed outside the REST layer",
          context.request().method(),
          context.request().path());
    }
    problems.write(context, code, code.title() + ".");
  }

  private void limitBody(RoutingContext context) {
    String length = context.request().getHeader("Content-Length");
    if (length != null && exceeds(length)) {
      refuse(context);
      return;
    }
    if (length != null && "0".equals(length.trim()) && takesJson(context)) {
      // Answered before the body handler, which would wait for an end that has already passed.
      empty(context);
      return;
    }
    context.next();
  }

  /**
   * Whether the request goes to a JSON endpoint ({@link #JSON_BODY}). Asked twice per request, so
   * the common cases are told without the pattern: only a POST or PATCH can be one, and a submit
   * is.
   */
  private static boolean takesJson(RoutingContext context) {
    HttpMethod method = context.request().method();
    if (!HttpMethod.POST.equals(method) && !HttpMethod.PATCH.equals(method)) {
      return false;
    }
    String path = context.request().path();
    if (HttpMethod.POST.equals(method) && "/v1/jobs".equals(path)) {
      return true;
    }
    return JSON_BODY.matcher(method.name() + " " + path).matches();
  }

  private void empty(RoutingContext context) {
    problems.write(
        context, ErrorCode.INVALID_REQUEST, "The request body is empty: send a JSON object.");
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
