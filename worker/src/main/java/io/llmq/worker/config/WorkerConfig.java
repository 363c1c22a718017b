package io.llmq.worker.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of the worker app ({@code llmq.worker.*}); each is also an environment variable. */
@ConfigMapping(prefix = "llmq.worker")
public interface WorkerConfig {

  /**
   * This worker's name in job leases and logs. Default: the host name and a random suffix, so two
   * workers on one host never share a lease.
   */
  Optional<String> id();

  /**
   * Jobs one worker runs at once: the queue prefetch ({@code LLMQ_WORKER_CONCURRENCY}). Calls wait
   * on the network, not the CPU, so this can be far above the core count. Default {@code 64}.
   */
  int concurrency();

  /** How often lapsed leases are looked for. Default {@code 10s}. */
  Duration reapInterval();

  /**
   * How often queued jobs past their deadline are looked for and expired, wherever they wait
   * ({@code LLMQ_WORKER_DEADLINE_SWEEP}): a job with a deadline ends {@code expired} at most about
   * this long after it. Every replica sweeps; one sweep is an index range scan of the overdue jobs
   * alone. Default {@code 1s}.
   */
  Duration deadlineSweep();

  /**
   * How long a running job's lease lasts without a heartbeat. After it lapses, the job is taken
   * back and run again. Default {@code 30s}.
   */
  @WithDefault("30s")
  Duration leaseDuration();

  /** How often a running job's lease is renewed. Default {@code 10s}. */
  @WithDefault("10s")
  Duration heartbeatInterval();

  /**
   * How long a message may stay unacknowledged while its job runs. A job still running then has its
   * message acknowledged, and its lease alone keeps it safe: RabbitMQ closes the channel of a
   * consumer that holds a message past its {@code consumer_timeout} (30 minutes by default), so
   * this must stay well below that. Default {@code 10m}.
   */
  @WithDefault("10m")
  Duration ackHandover();

  /**
   * How long a stopping worker (SIGTERM) lets the calls in flight finish before it cuts them short
   * and hands their jobs back to the queue, attempts not spent. It must stay below the platform's
   * own grace (Kubernetes: {@code terminationGracePeriodSeconds}, 60 s in {@code k8s/}), with room
   * for the hand-back and the rest of the stop. Default {@code 30s}.
   */
  @WithDefault("30s")
  Duration shutdownGrace();

  /**
   * Longest a provider call may take before it counts as a transient failure (and is retried).
   * Default {@code 60m}.
   */
  @WithDefault("60m")
  Duration callTimeout();

  /**
   * Whether models whose provider has no API key are answered by the simulator (with a warning at
   * start-up) rather than failed. Default {@code true}, so the system runs with no key at all; turn
   * it off in production.
   */
  @WithDefault("true")
  boolean simulateUnconfiguredProviders();

  /** Retry delays: the first, the growth factor and the cap (full jitter applies). */
  Retry retry();

  /** Exponential backoff with full jitter between attempts of one job. */
  interface Retry {

    /** Delay before the second attempt, before jitter. Default {@code 1s}. */
    @WithDefault("1s")
    Duration initialInterval();

    /** Growth of the delay per attempt. Default {@code 2}. */
    @WithDefault("2")
    double coefficient();

    /** Largest delay. Default {@code 5m}. */
    @WithDefault("5m")
    Duration maximumInterval();
  }
}
