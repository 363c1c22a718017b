package io.llmq.api.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Money is written as plain decimals ({@code 0.000123}), never in exponent form; numbers with a
 * fraction or exponent are read exactly, so {@code 1e400} is a large number to validate, not an
 * infinity that breaks hashing. Request bodies may hold only text that can be stored as sent
 * ({@link StorableText}).
 */
@Singleton
class JsonConfig implements ObjectMapperCustomizer {

  @Override
  public void customize(ObjectMapper mapper) {
    mapper.enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    mapper.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    // SPEC §2: a body that is not one JSON value, or has a key twice, is a 400.
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    mapper.registerModule(
        new SimpleModule("llmq-storable-text").addDeserializer(JsonNode.class, new StorableText()));
  }
}
