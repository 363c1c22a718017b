package io.llmq.simulator.call;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.simulator.answer.Answer;
import io.llmq.simulator.answer.Pacing;
import io.llmq.simulator.ratelimit.Admission;
import io.llmq.simulator.ratelimit.Quotas;
import io.llmq.simulator.ratelimit.RateLimiter;
import io.llmq.simulator.ratelimit.Refusal;
import io.llmq.simulator.settings.LiveSettings;
import io.llmq.simulator.settings.Settings;
import io.llmq.simulator.stats.Stats;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One provider call from arrival to answer, whichever API it came through: read the body, apply a
 * forced fault, admit it against the key's buckets, draw a random fault, then answer when the
 * pacing says so, whole or as a stream. The {@link Dialect} supplies the API's shapes. Runs on the
 * event loop and never blocks: delays are Vert.x timers.
 */
@ApplicationScoped
public class CallHandler {

  static final String ANONYMOUS = "anonymous";

  private final Vertx vertx;
  private final ObjectMapper json;
  private final LiveSettings settings;
  private final RateLimiter limiter;
  private final Stats stats;

  CallHandler(
      Vertx vertx, ObjectMapper json, LiveSettings settings, RateLimiter limiter, Stats stats) {
    this.vertx = vertx;
    this.json = json;
    this.settings = settings;
    this.limiter = limiter;
    this.stats = stats;
  }

  public void handle(Dialect dialect, RoutingContext ctx) {
    stats.received();
    String apiKey = apiKey(ctx.request());
    Call call;
    Fault forced;
    try {
      call = dialect.read(parse(ctx));
      forced = Fault.forcedBy(ctx.request().getHeader(Fault.HEADER));
    } catch (InvalidRequest e) {
      fail(dialect, ctx, dialect.invalidRequest(e.getMessage()), limiter.peek(apiKey));
      return;
    }
    Exchange exchange = new Exchange(dialect, ctx, call, apiKey, settings.current());
    if (forced != null) {
      inject(forced, exchange, limiter.peek(apiKey));
      return;
    }
    if (exchange.settings().outage()) {
      // The provider is down: nothing is admitted, every call gets its 503 at once.
      inject(Fault.STATUS_503, exchange, limiter.peek(apiKey));
      return;
    }
    long charge = call.charge(exchange.settings().limiterCount());
    Admission admission = limiter.admit(apiKey, charge);
    if (!admission.admitted()) {
      stats.rateLimited();
      Refusal refusal = admission.refusal();
      Log.infof(
          "429 for %s: %s limit %d, in use %d, asked %d, retry after %d ms",
          charge,
          refusal.limit(),
          refusal.capacity(),
          refusal.used(),
          refusal.requested(),
          refusal.retryAfterMillis());
      fail(dialect, ctx, dialect.rateLimited(admission.refusal()), admission.quotas());
      return;
    }
    stats.charged(charge);
    Fault drawn = Fault.draw(exchange.settings(), ThreadLocalRandom.current().nextDouble());
    if (drawn != null) {
      inject(drawn, exchange, admission.quotas());
    } else {
      answer(exchange, admission.quotas(), null);
    }
  }

  private void inject(Fault fault, Exchange exchange, Quotas quotas) {
    stats.faultInjected();
    Dialect dialect = exchange.dialect();
    RoutingContext ctx = exchange.ctx();
    switch (fault) {
      case ERROR -> fail(dialect, ctx, dialect.serverError(dialect.errorStatus()), quotas);
      case STATUS_500, STATUS_503, STATUS_529 ->
          fail(dialect, ctx, dialect.serverError(fault.status()), quotas);
      case RATE_LIMIT -> fail(dialect, ctx, dialect.rateLimited(Refusal.forced(quotas)), quotas);
      case BAD_REQUEST ->
          fail(
              dialect,
              ctx,
              dialect.invalidRequest("Invalid request (" + Fault.HEADER + ")."),
              quotas);
      case CONTEXT_LENGTH -> fail(dialect, ctx, dialect.contextLengthExceeded(), quotas);
      case HANG -> {
        // Accepted and never answered: the client's timeout is what is being tested.
      }
      case RESET -> {
        if (exchange.call().stream()) {
          answer(exchange, quotas, fault);
        } else {
          Reset.connection(ctx.request());
        }
      }
      case MALFORMED -> answer(exchange, quotas, fault);
    }
  }

  private void answer(Exchange exchange, Quotas quotas, Fault fault) {
    Call call = exchange.call();
    Dialect dialect = exchange.dialect();
    PromptUsage usage = dialect.promptUsage(exchange.apiKey(), call);
    Answer answer = call.answer();
    Settings current = exchange.settings();
    Pacing pacing = new Pacing(current.timeToFirstToken(), current.tokensPerSecond());
    HttpServerResponse response = exchange.ctx().response();
    dialect.putQuotaHeaders(response.headers(), quotas);
    Runnable bill =
        () -> {
          if (fault == null) {
            long produced = (long) answer.size() * call.choices();
            stats.billed(usage.total(), produced);
            long unused = call.reservedOutput() - produced;
            if (current.refundUnused() && unused > 0) {
              limiter.giveBack(exchange.apiKey(), unused);
              stats.charged(-unused);
            }
          }
        };
    if (call.stream()) {
      StreamEvents events = dialect.streamEvents(call, usage);
      Runnable started = () -> stats.status(200);
      new PacedStream(vertx, exchange.ctx().request(), events, answer, pacing, fault, started, bill)
          .start();
      return;
    }
    later(
        pacing.total(answer.size()),
        () -> {
          if (response.closed()) {
            return;
          }
          String body = dialect.completion(call, answer, usage);
          if (fault == Fault.MALFORMED) {
            body = body.substring(0, body.length() / 2);
          }
          stats.status(200);
          bill.run();
          response.putHeader("content-type", "application/json").end(body);
        });
  }

  private void fail(Dialect dialect, RoutingContext ctx, ErrorReply reply, Quotas quotas) {
    HttpServerResponse response = ctx.response();
    dialect.putQuotaHeaders(response.headers(), quotas);
    Refusal refusal = reply.refusal();
    if (refusal != null) {
      response.putHeader("retry-after", Long.toString(refusal.retryAfterSeconds()));
      response.putHeader("retry-after-ms", Long.toString(refusal.retryAfterMillis()));
    }
    stats.status(reply.status());
    response
        .setStatusCode(reply.status())
        .putHeader("content-type", "application/json")
        .end(reply.body().toString());
  }

  private JsonNode parse(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    JsonNode node = null;
    try {
      node = body == null ? null : json.readTree(body.getBytes());
    } catch (IOException e) {
      // answered below, like any other body that is not a JSON object
    }
    InvalidRequest.unless(
        node != null && node.isObject(),
        "We could not parse the JSON body of your request: it must be a JSON object.");
    return node;
  }

  private void later(Duration delay, Runnable action) {
    long millis = (delay.toNanos() + 999_999) / 1_000_000;
    if (millis == 0) {
      action.run();
    } else {
      vertx.setTimer(millis, id -> action.run());
    }
  }

  /** The key the buckets are kept under: the bearer token, else {@code x-api-key}. */
  static String apiKey(HttpServerRequest request) {
    String authorization = request.getHeader("authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = authorization.substring(7).trim();
      if (!token.isEmpty()) {
        return token;
      }
    }
    String key = request.getHeader("x-api-key");
    return key == null || key.isBlank() ? ANONYMOUS : key.trim();
  }

  private record Exchange(
      Dialect dialect, RoutingContext ctx, Call call, String apiKey, Settings settings) {}
}
