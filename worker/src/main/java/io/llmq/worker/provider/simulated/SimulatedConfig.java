package io.llmq.worker.provider.simulated;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Pacing of the built-in simulated provider ({@code llmq.providers.simulated.*}). */
@ConfigMapping(prefix = "llmq.providers.simulated")
public interface SimulatedConfig {

  /** Delay before the first token. Default {@code 200ms}. */
  @WithDefault("200ms")
  Duration timeToFirstToken();

  /** Output pace after the first token. Default {@code 200}. */
  @WithDefault("200")
  int tokensPerSecond();
}
