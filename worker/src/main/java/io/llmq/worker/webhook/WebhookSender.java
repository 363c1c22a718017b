package io.llmq.worker.webhook;

import io.llmq.common.messaging.JobNotices;
import io.llmq.common.messaging.StandingSubscription;
import io.llmq.common.webhook.WebhookTargets;
import io.llmq.common.webhook.WebhooksConfig;
import io.llmq.worker.tracing.WebhookSpans;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import io.vertx.mutiny.core.http.HttpClientRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.ConnectException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.jboss.logging.MDC;

/**
 * Sends webhooks. It runs in the worker, which already owns the outbound side of llmq (provider
 * calls) and scales with the job load; every worker replica sends, sharing the due deliveries
 * through {@link DeliveryStore}'s leases. A delivery is looked for when a job's end is announced (a
 * Redis notice) and by a poll every {@code llmq.webhooks.poll-interval}, which also picks up
 * retries as they fall due.
 *
 * <p>Each attempt checks the URL with the SSRF guard again (DNS may have changed since the submit)
 * and connects to exactly the address it checked; it follows no redirect (a 3xx is a failed
 * attempt), and gives up on the attempt after {@code llmq.webhooks.timeout}. For {@code https} the
 * TLS session is checked against the URL's host name (SNI, certificate name and chain); a
 * certificate that fails is a failed attempt, retried like any other. Any 2xx is success; anything
 * else is retried on the schedule ({@link RetrySchedule}). Deliveries are at-least-once: a sender
 * that dies between the receiver's answer and the record sends again after its lease.
 */
@ApplicationScoped
public class WebhookSender {

  private static final String USER_AGENT = "llmq-webhooks/1";

  private final DeliveryStore store;
  private final WebhookTargets targets;
  private final RetrySchedule schedule;
  private final ReactiveRedisDataSource redis;
  private final HttpClient client;
  private final Duration timeout;
  private final Duration lease;
  private final int concurrency;
  private final Duration pollInterval;
  private final Vertx vertx;
  private final WebhookSpans spans;
  private final Timer deliveredTimer;
  private final Timer failedTimer;
  private final Counter delivered;
  private final Counter retried;
  private final Counter gaveUp;
  private final AtomicBoolean leasing = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();

  WebhookSender(
      DeliveryStore store,
      WebhookTargets targets,
      RetrySchedule schedule,
      ReactiveRedisDataSource redis,
      Vertx vertx,
      WebhooksConfig config,
      MeterRegistry metrics,
      WebhookSpans spans) {
    this.spans = spans;
    this.store = store;
    this.targets = targets;
    this.schedule = schedule;
    this.redis = redis;
    this.timeout = config.timeout();
    this.lease = config.timeout().plusSeconds(20);
    this.concurrency = Math.max(1, config.concurrency());
    this.pollInterval = config.pollInterval();
    this.vertx = vertx;
    this.deliveredTimer = attempts(metrics, "delivered");
    this.failedTimer = attempts(metrics, "failed");
    this.delivered = deliveries(metrics, "delivered");
    this.retried = deliveries(metrics, "retried");
    this.gaveUp = deliveries(metrics, "failed");
    this.client = vertx.createHttpClient(clientOptions(config));
  }

  private static Timer attempts(MeterRegistry metrics, String outcome) {
    return Timer.builder("llmq.webhooks.attempts").tag("outcome", outcome).register(metrics);
  }

  /** Attempts by outcome: delivered, retried (failed, tried again later), failed (gave up). */
  private static Counter deliveries(MeterRegistry metrics, String outcome) {
    return Counter.builder("llmq.webhook.deliveries").tag("outcome", outcome).register(metrics);
  }

  /**
   * TLS as a browser does it, though the socket goes to an address rather than a name: the request
   * names the URL's host (see {@link #exchange}), which Vert.x gives the TLS engine as the peer, so
   * the JDK sends it as SNI (for a DNS name) and checks the certificate's name against it. Trust is
   * the JVM's, or {@code llmq.webhooks.trust-certificates}; never trust-all.
   */
  private static HttpClientOptions clientOptions(WebhooksConfig config) {
    HttpClientOptions options =
        new HttpClientOptions()
            .setConnectTimeout((int) config.timeout().toMillis())
            .setMaxPoolSize(config.concurrency())
            .setKeepAlive(true)
            .setTrustAll(false)
            .setVerifyHost(true);
    config.trustCertificates().ifPresent(paths -> options.setPemTrustOptions(trust(paths)));
    return options;
  }

  /** The configured PEM files, checked now: a wrong path stops the start, not every attempt. */
  private static PemTrustOptions trust(List<String> paths) {
    PemTrustOptions trust = new PemTrustOptions();
    for (String path : paths) {
      if (!Files.isReadable(Path.of(path))) {
        throw new IllegalStateException("llmq.webhooks.trust-certificates: cannot read " + path);
      }
      trust.addCertPath(path);
    }
    return trust;
  }

  void listen(@Observes StartupEvent start) {
    StandingSubscription.open(redis, JobNotices.WEBHOOKS_DUE, ignored -> trigger());
  }

  @Scheduled(
      every = "${llmq.webhooks.poll-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void poll() {
    trigger();
  }

  /** Leases as many due deliveries as there is room for, and sends them. */
  void trigger() {
    if (!leasing.compareAndSet(false, true)) {
      again.set(true);
      return;
    }
    int room = concurrency - inFlight.get();
    if (room <= 0) {
      leasing.set(false);
      return;
    }
    store
        .lease(room, lease)
        .subscribe()
        .with(
            deliveries -> {
              inFlight.addAndGet(deliveries.size());
              deliveries.forEach(this::send);
              leasing.set(false);
              if (again.getAndSet(false) || deliveries.size() == room) {
                trigger();
              }
            },
            failure -> {
              leasing.set(false);
              Log.debugf("Looking for due webhooks failed, will retry: %s", failure.getMessage());
            });
  }

  private void send(Delivery delivery) {
    attempt(delivery)
        .subscribe()
        .with(
            ignored -> finished(),
            failure -> {
              logFor(
                  delivery,
                  () ->
                      Log.warnf(
                          "Job(id=%s) webhook attempt not recorded: %s",
                          delivery.jobId(), failure.getMessage()));
              finished();
            });
  }

  private void finished() {
    boolean wasFull = inFlight.getAndDecrement() >= concurrency;
    if (wasFull) {
      trigger();
    }
  }

  /** One attempt, recorded with its outcome and the next due time. */
  Uni<Void> attempt(Delivery delivery) {
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC);
    long started = System.nanoTime();
    return spans
        .around(
            delivery.jobId(),
            delivery.traceContext(),
            delivery.attempts() + 1,
            delivery.url(),
            post(delivery))
        .map(status -> new Result(status, status >= 200 && status < 300 ? null : "HTTP " + status))
        .onFailure()
        .recoverWithItem(failure -> new Result(null, describe(failure)))
        .chain(result -> {
          long latency = (System.nanoTime() - started) / 1_000_000;
          boolean ok = result.error() == null;
          Optional<Duration> next = ok ? Optional.empty() : schedule.after(delivery.attempts() + 1);
          (ok ? deliveredTimer : failedTimer).record(Duration.ofMillis(latency));
          (ok ? delivered : next.isPresent() ? retried : gaveUp).increment();
          logOutcome(delivery, result, next);
          return store
              .record(delivery, at, result.status(), latency, result.error(), ok, next)
              .invoke(() -> next.ifPresent(this::wakeAfter));
        });
  }

  private record Result(Integer status, String error) {}

  /** A retry due before the next poll gets a timer of its own, so the schedule is kept. */
  private void wakeAfter(Duration wait) {
    if (wait.compareTo(pollInterval) < 0) {
      vertx.setTimer(Math.max(1, wait.toMillis()), id -> trigger());
    }
  }

  private Uni<Integer> post(Delivery delivery) {
    URI uri;
    try {
      uri = targets.parse(delivery.url());
    } catch (WebhookTargets.Refused refused) {
      return Uni.createFrom().failure(refused);
    }
    return targets.check(delivery.url()).chain(target -> exchange(delivery, uri, target));
  }

  private Uni<Integer> exchange(Delivery delivery, URI uri, WebhookTargets.Target target) {
    long timestamp = System.currentTimeMillis() / 1000;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            // The URL's host name: SNI and the certificate check use it, not the address.
            .setHost(uri.getHost())
            .setPort(target.port())
            .setURI(path)
            .setSsl(target.tls())
            .setFollowRedirects(false)
            // The address the guard checked: no second lookup can swap it.
            .setServer(
                SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()))
            .putHeader("Content-Type", "application/json")
            .putHeader("User-Agent", USER_AGENT)
            .putHeader("webhook-id", delivery.webhookId())
            .putHeader("webhook-timestamp", Long.toString(timestamp))
            .putHeader(
                "webhook-signature",
                Signature.sign(
                    delivery.secret(), delivery.webhookId(), timestamp, delivery.body()));
    AtomicReference<HttpClientRequest> inFlightRequest = new AtomicReference<>();
    Runnable reset =
        () -> {
          HttpClientRequest request = inFlightRequest.get();
          if (request != null) {
            request.reset();
          }
        };
    return client
        .request(options)
        .invoke(inFlightRequest::set)
        .chain(request -> request.send(Buffer.buffer(delivery.body())))
        .chain(response -> response.end().replaceWith(response.statusCode()))
        .ifNoItem()
        .after(timeout)
        .failWith(() -> new TimeoutException("no answer in time"))
        .onFailure()
        .invoke(reset)
        .onCancellation()
        .invoke(reset);
  }

  private static String describe(Throwable failure) {
    if (failure instanceof WebhookTargets.Refused refused) {
      return "The webhook_url " + refused.getMessage() + ".";
    }
    if (failure instanceof TimeoutException) {
      return "No answer within the timeout.";
    }
    if (failure instanceof ConnectException) {
      return "The connection was refused or could not be made.";
    }
    if (failure instanceof SSLException) {
      return describeTls(failure);
    }
    return "The connection failed.";
  }

  /**
   * Why the receiver's certificate was refused, when it was; JDK messages vary, types do not. The
   * JDK's host name check throws a plain {@link CertificateException}; chain failures carry a
   * cert-path exception.
   */
  private static String describeTls(Throwable failure) {
    if (causedBy(failure, CertPathValidatorException.class)
        || causedBy(failure, CertPathBuilderException.class)) {
      return "The receiver's TLS certificate is not trusted (unknown issuer, or expired).";
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause.getClass() == CertificateException.class) {
        return "The receiver's TLS certificate is not valid for the webhook_url's host name.";
      }
    }
    return causedBy(failure, CertificateException.class)
        ? "The receiver's TLS certificate was refused."
        : "The TLS handshake failed.";
  }

  private static boolean causedBy(Throwable failure, Class<? extends Throwable> kind) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (kind.isInstance(cause)) {
        return true;
      }
    }
    return false;
  }

  private void logOutcome(Delivery delivery, Result result, Optional<Duration> next) {
    logFor(delivery, () -> logOutcomeNow(delivery, result, next));
  }

  private static void logOutcomeNow(Delivery delivery, Result result, Optional<Duration> next) {
    if (result.error() == null) {
      Log.debugf("Job(id=%s) webhook %s delivered", delivery.jobId(), delivery.webhookId());
    } else if (next.isPresent()) {
      Log.infof(
          "Job(id=%s) webhook attempt %d failed (%s); next in %d ms",
          delivery.jobId(), delivery.attempts() + 1, result.error(), next.get().toMillis());
    } else {
      Log.warnf(
          "Job(id=%s) webhook given up after %d attempts (%s)",
          delivery.jobId(), delivery.attempts() + 1, result.error());
    }
  }

  /**
   * Runs {@code log} with the delivery's job and tenant in the MDC. Deliveries leased together
   * start on one Vert.x context, whose MDC they would share if the fields were set for a whole
   * attempt: they are set around each line instead, and what was there before is put back.
   */
  private static void logFor(Delivery delivery, Runnable log) {
    Object job = MDC.get("jobId");
    Object tenant = MDC.get("tenantId");
    put("jobId", delivery.jobId());
    put("tenantId", delivery.tenantId());
    try {
      log.run();
    } finally {
      put("jobId", job);
      put("tenantId", tenant);
    }
  }

  private static void put(String key, Object value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value.toString());
    }
  }
}
