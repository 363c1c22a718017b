package io.llmq.common.events;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of job progress events ({@code llmq.events.*}), shared by the api and the worker. */
@ConfigMapping(prefix = "llmq.events")
public interface EventsConfig {

  /**
   * How long a job's events stay available for replay after the job ended ({@code
   * LLMQ_EVENTS_RETENTION}). SPEC asks for at least an hour. Default {@code 1h}.
   */
  @WithDefault("1h")
  Duration retention();

  /**
   * How long the events of a job that has not ended are kept after its latest event: a bound for
   * jobs that wait in the queue for very long. Default {@code 8d} (longer than the longest
   * deadline).
   */
  @WithDefault("8d")
  Duration liveRetention();

  /**
   * How long after a job ended its terminal event may still be missing before a sweep appends it:
   * normally it is appended right after the terminal status commits; the sweep covers a process
   * that died in between, and a cancelled job whose worker never reported. Default {@code 5s}.
   */
  @WithDefault("5s")
  Duration announceGrace();

  /** How often that sweep runs. Default {@code 1s}. */
  Duration announceSweepInterval();

  /**
   * Longest silence on an SSE stream before a {@code : keep-alive} comment (SPEC: at least every 15
   * s). Also how long a quiet stream waits before it re-reads Redis, in case a live event was lost.
   * Default {@code 10s}.
   */
  @WithDefault("10s")
  Duration keepAlive();
}
