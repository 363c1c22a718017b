package io.llmq.common.provider;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The providers the worker can call ({@code llmq.providers."<name>".*}), by name. Three are
 * predefined in this module's {@code META-INF/microprofile-config.properties}: {@code simulated},
 * {@code openai} and {@code anthropic}; more (a second OpenAI-compatible server, say) are added by
 * configuration alone. Keys come from the environment only. Both apps read the same settings: the
 * worker calls the providers and governs their limits, the api refuses at submit a job that can
 * never fit them (so every key of a provider is known to both, and neither refuses another's).
 */
@ConfigMapping(prefix = "llmq.providers")
public interface ProvidersConfig {

  /** The {@link Provider#kind()} of the built-in simulator, which no limit governs. */
  String SIMULATED = "simulated";

  /** The {@link Provider#kind()} of OpenAI-compatible servers. */
  String OPENAI = "openai";

  @WithParentName
  Map<String, Provider> providers();

  /**
   * Stops the start-up, naming the provider, when one's limiter settings cannot count a request (a
   * {@code characters-per-token} of 0, say).
   */
  default void checkCounting() {
    providers()
        .forEach((name, provider) -> {
          try {
            provider.counting();
          } catch (IllegalArgumentException e) {
            throw new IllegalStateException("llmq.providers." + name + ": " + e.getMessage(), e);
          }
        });
  }

  /** One provider. */
  interface Provider {

    /** {@code openai} (any Chat Completions server), {@code anthropic} or {@code simulated}. */
    String kind();

    /** Base URL, such as {@code https://api.openai.com/v1}. No default for added providers. */
    Optional<String> baseUrl();

    /** API key; from the environment only, never from a file in the repository. */
    Optional<String> apiKey();

    /**
     * Whether the provider is configured. Default: it is when it has an API key; set {@code true}
     * for a keyless local server (Ollama, vLLM, llama.cpp).
     */
    Optional<Boolean> enabled();

    /** The provider's tokens per minute, for the governor. No default: unknown. */
    Optional<Long> tokensPerMinute();

    /** The provider's requests per minute, for the governor. No default: unknown. */
    Optional<Long> requestsPerMinute();

    /**
     * Most calls to the provider in flight at once, across every worker replica (a call that finds
     * them all taken waits, its job still queued). No default: no cap.
     */
    Optional<Integer> maxConcurrentCalls();

    /**
     * Whether the provider's rate limiter counts a call's {@code max_tokens} when it admits it (as
     * OpenAI's does) rather than the tokens it finally produced. The governor settles accordingly.
     * Default {@code true}.
     */
    @WithDefault("true")
    boolean chargesMaxTokens();

    /**
     * How the provider's rate limiter counts a request's prompt: {@code tokenizer} (the billing
     * tokenizer's count, scaled by the ratio learned from billed usage) or {@code characters} (one
     * token per {@link #charactersPerToken()} characters plus {@link #messageOverhead()} per
     * message, with no calibration: that is the limiter's own formula). Default: {@code characters}
     * for the {@code openai} kind, since OpenAI's limiter estimates from characters before any
     * tokenizer; {@code tokenizer} for the others (Anthropic's limits count the input tokens its
     * tokenizer bills). See {@link LimiterCounting}.
     */
    Optional<LimiterCounting.Mode> limiterCount();

    /** Characters per token, when the limiter counts characters. Default {@code 4}. */
    @WithDefault("4")
    double charactersPerToken();

    /** Tokens added per message, when the limiter counts characters. Default {@code 3}. */
    @WithDefault("3")
    int messageOverhead();

    /** Whether calls stream (needed for live deltas). Default {@code true}. */
    @WithDefault("true")
    boolean stream();

    /** Time to establish a connection. Default {@code 10s}. */
    @WithDefault("10s")
    Duration connectTimeout();

    /** Time from sending the request to the response headers. Default {@code 120s}. */
    @WithDefault("120s")
    Duration firstByteTimeout();

    /** Longest silence between two chunks of a response. Default {@code 60s}. */
    @WithDefault("60s")
    Duration idleTimeout();

    /**
     * {@code max_tokens} sent when the request has none and the provider needs one (Anthropic).
     * Default {@code 4096}.
     */
    @WithDefault("4096")
    int defaultMaxTokens();

    /** Anthropic API version header. Default {@code 2023-06-01}. */
    @WithDefault("2023-06-01")
    String anthropicVersion();

    /** Simulated provider: delay before the first token. Default {@code 200ms}. */
    @WithDefault("200ms")
    Duration timeToFirstToken();

    /** Simulated provider: output pace. Default {@code 200}. */
    @WithDefault("200")
    int tokensPerSecond();

    default boolean configured() {
      return enabled().orElse(apiKey().filter(key -> !key.isBlank()).isPresent());
    }

    /** How the provider's limiter counts, from {@link #limiterCount()} and its companions. */
    default LimiterCounting counting() {
      LimiterCounting.Mode mode =
          limiterCount()
              .orElse(
                  OPENAI.equals(kind())
                      ? LimiterCounting.Mode.CHARACTERS
                      : LimiterCounting.Mode.TOKENIZER);
      return new LimiterCounting(mode, charactersPerToken(), messageOverhead(), defaultMaxTokens());
    }
  }
}
