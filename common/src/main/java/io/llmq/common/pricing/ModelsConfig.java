package io.llmq.common.pricing;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.math.BigDecimal;
import java.util.Map;

/**
 * The models llmq accepts, keyed by the name clients send ({@code llmq.models."gpt-4o-mini".*}). A
 * model that is not listed is refused at submit. Defaults are in this module's {@code
 * META-INF/microprofile-config.properties}.
 */
@ConfigMapping(prefix = "llmq.models")
public interface ModelsConfig {

  @WithParentName
  Map<String, Model> models();

  /** One model: who serves it and what it costs. */
  interface Model {

    /** Provider name that serves the model. Default {@code simulated}. */
    @WithDefault("simulated")
    String provider();

    /** USD per million prompt tokens. Default {@code 0}. */
    @WithDefault("0")
    BigDecimal inputUsdPerMtok();

    /** USD per million completion tokens. Default {@code 0}. */
    @WithDefault("0")
    BigDecimal outputUsdPerMtok();
  }
}
