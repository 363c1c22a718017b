package io.llmq.api.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The console's static files (META-INF/resources/console) are public: they hold no data, and every
 * call the page makes goes to the public {@code /v1} API with the user's own credential. Their
 * answers carry a strict Content-Security-Policy (only this origin, no inline script or style, no
 * framing), {@code nosniff} and no referrer; {@code /console} redirects to {@code /console/}, where
 * the index page is served.
 */
@ApplicationScoped
public class ConsoleHeaders {

  static final String POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
          + " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  void install(@Observes Router router) {
    router.routeWithRegex("/console").order(-190).handler(ConsoleHeaders::redirect);
    router.route("/console/*").order(-190).handler(ConsoleHeaders::secure);
  }

  private static void redirect(RoutingContext context) {
    context.response().setStatusCode(301).putHeader("Location", "/console/").end();
  }

  private static void secure(RoutingContext context) {
    context
        .response()
        .putHeader("Content-Security-Policy", POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    context.next();
  }
}
