package io.llmq.common.webhook;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings of webhooks ({@code llmq.webhooks.*}), shared by the api and the worker. */
@ConfigMapping(prefix = "llmq.webhooks")
public interface WebhooksConfig {

  /**
   * Whether webhooks may use plain {@code http} and target private, loopback and link-local
   * addresses ({@code LLMQ_WEBHOOKS_ALLOW_INSECURE}). For local development and tests only: it
   * turns the SSRF guard off. Default {@code false}.
   */
  @WithDefault("false")
  boolean allowInsecure();

  /** How long one delivery attempt may take, connection included. Default {@code 10s}. */
  @WithDefault("10s")
  Duration timeout();

  /**
   * Waits after each failed attempt, before jitter ({@code LLMQ_WEBHOOKS_RETRY_SCHEDULE}): one
   * attempt more than the list is long, then the delivery is given up. Default {@code
   * 5s,5m,30m,2h,5h,10h}.
   */
  @WithDefault("5s,5m,30m,2h,5h,10h")
  List<Duration> retrySchedule();

  /**
   * How far each wait may stray from the schedule, as a fraction: 0.2 spreads a 5-minute wait over
   * 4 to 6 minutes, so receivers that failed together are not retried together. Default {@code
   * 0.2}.
   */
  @WithDefault("0.2")
  double jitter();

  /**
   * How often a worker looks for due deliveries when no notice tells it one is due (retries fall
   * due this way). Default {@code 1s}.
   */
  Duration pollInterval();

  /** Most deliveries one worker sends at once. Default {@code 64}. */
  @WithDefault("64")
  int concurrency();

  /**
   * PEM files of the certificates that receivers' TLS certificates must chain to ({@code
   * LLMQ_WEBHOOKS_TRUST_CERTIFICATES}, comma-separated paths), for receivers behind a private CA.
   * When set, these replace the JVM's trusted CAs for webhooks (add the public CAs' bundle too if
   * public receivers must still work); unset, the default, the JVM's trust store decides. Either
   * way the certificate must name the {@code webhook_url}'s host, and one that does not, or that is
   * not trusted, is a failed attempt.
   */
  Optional<List<String>> trustCertificates();
}
