package io.llmq.simulator.settings;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Start-up settings of the simulator ({@code llmq.simulator.*}, or the matching environment
 * variable such as {@code LLMQ_SIMULATOR_TOKENS_PER_MINUTE}). {@code PUT /admin/config} changes
 * them at run time; see {@link LiveSettings}.
 */
@ConfigMapping(prefix = "llmq.simulator")
public interface SimulatorConfig {

  /** Token bucket size and refill per API key, like OpenAI's TPM. Default {@code 2000000}. */
  @WithDefault("2000000")
  long tokensPerMinute();

  /** Request bucket size and refill per API key, like OpenAI's RPM. Default {@code 10000}. */
  @WithDefault("10000")
  long requestsPerMinute();

  /** Delay before the first token of an answer. Default {@code 200ms}. */
  @WithDefault("200ms")
  Duration timeToFirstToken();

  /** Pace of the answer after its first token. Default {@code 100}. */
  @WithDefault("100")
  int tokensPerSecond();

  /**
   * Share of admitted calls answered with a server error (OpenAI 500, Anthropic 529). Default
   * {@code 0}.
   */
  @WithDefault("0")
  double errorRate();

  /** Share of admitted calls whose connection is reset (mid-stream when streaming). Default 0. */
  @WithDefault("0")
  double resetRate();

  /** Share of admitted calls that are never answered. Default {@code 0}. */
  @WithDefault("0")
  double hangRate();

  /**
   * Share of admitted calls answered with a 200 whose body is not valid JSON (or a stream with a
   * broken chunk). Default {@code 0}.
   */
  @WithDefault("0")
  double malformedRate();

  /**
   * Whether a completed call gives back the output tokens it reserved at admission and did not
   * produce, as Anthropic's output-token limit does (estimated from {@code max_tokens} at the
   * start, adjusted at the end). Default {@code false}: the call keeps its whole charge, as
   * OpenAI's does.
   */
  @WithDefault("false")
  boolean refundUnused();

  /**
   * How admission counts a call's prompt: {@code tokenizer} (as it is billed, the default) or
   * {@code characters} (ceil(characters / 4) + 3 per message, as OpenAI's limiter estimates); see
   * {@link LimiterCount}.
   */
  @WithDefault("tokenizer")
  String limiterCount();

  /**
   * A provider outage: while on, every call is answered 503 at once, before admission (nothing is
   * charged to its key's buckets), in either dialect. Switched at run time with {@code PUT
   * /admin/config {"outage": true}}, to drive llmq's circuit breakers and fallbacks. Default {@code
   * false}.
   */
  @WithDefault("false")
  boolean outage();
}
