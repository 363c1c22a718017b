package io.llmq.api.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;

/**
 * Gives every request an id: the client's {@code X-Request-Id} when it is a sane token, a new UUID
 * otherwise. It goes on the response at once, so every answer carries it, errors included.
 */
public final class RequestIds {

  public static final String HEADER = "X-Request-Id";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:/+=-]{1,200}");

  private RequestIds() {}

  static void assign(RoutingContext context) {
    String offered = context.request().getHeader(HEADER);
    String id = offered != null && SANE.matcher(offered).matches() ? offered : newId();
    context.response().putHeader(HEADER, id);
    MDC.put("requestId", id);
    context.next();
  }

  /** The id given to this request, or {@code null} outside a request. */
  public static String of(HttpServerRequest request) {
    return request == null ? null : request.response().headers().get(HEADER);
  }

  /**
   * A random (version 4) UUID from the thread's fast generator: a request id names a request in
   * logs and answers and guards nothing, so it needs no {@code SecureRandom} (whose shared source
   * {@link UUID#randomUUID()} takes a lock on for every request).
   */
  private static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }
}
