package io.llmq.common.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;

/**
 * The answers in Redis: one JSON string per {@link CacheKey}, expiring after {@code
 * llmq.cache.ttl}, holding a {@link CachedAnswer}. The worker stores and reads them, the api reads
 * them at submit; this class is the one definition of the entry's format. Only successful answers
 * are ever stored. Every operation fails rather than waits past {@code llmq.cache.timeout}; the
 * caller decides what a failure means.
 */
@ApplicationScoped
public class CachedAnswers {

  private final ReactiveValueCommands<String, String> values;
  private final ObjectMapper json;
  private final Duration ttl;
  private final Duration timeout;

  public CachedAnswers(ReactiveRedisDataSource redis, ObjectMapper json, CacheConfig config) {
    this.values = redis.value(String.class);
    this.json = json;
    this.ttl = config.ttl();
    this.timeout = config.timeout();
  }

  /** The stored answer, if there is one; an entry that does not parse counts as none. */
  public Uni<Optional<CachedAnswer>> get(CacheKey key) {
    return values
        .get(key.entry())
        .ifNoItem()
        .after(timeout)
        .fail()
        .map(text -> text == null ? Optional.empty() : parse(key, text));
  }

  /** Stores {@code answer} under {@code key} for the TTL, replacing what was there. */
  public Uni<Void> put(CacheKey key, CachedAnswer answer) {
    return values
        .psetex(key.entry(), ttl.toMillis(), encode(answer))
        .ifNoItem()
        .after(timeout)
        .fail();
  }

  /** How long an entry lives, for a caller that stores it with a script of its own. */
  public Duration ttl() {
    return ttl;
  }

  /**
   * The entry's text for {@code answer}: what {@link #put} stores, for a caller that stores it with
   * a script of its own (the worker's single flight stores and lands in one round trip).
   */
  public String encode(CachedAnswer answer) {
    ObjectNode entry = json.createObjectNode();
    entry.set("result", answer.result());
    entry.put("prompt_tokens", answer.promptTokens());
    entry.put("cached_prompt_tokens", answer.cachedPromptTokens());
    entry.put("cache_write_tokens", answer.cacheWriteTokens());
    entry.put("completion_tokens", answer.completionTokens());
    entry.put("served_by", answer.servedBy());
    return entry.toString();
  }

  /**
   * Reads an entry's text that a caller fetched itself (as {@link #get} reads it); an entry that
   * does not parse counts as none.
   */
  public Optional<CachedAnswer> parse(CacheKey key, String text) {
    try {
      JsonNode entry = json.readTree(text);
      if (!(entry.get("result") instanceof ObjectNode result)) {
        throw new IllegalArgumentException("no result");
      }
      return Optional.of(
          new CachedAnswer(
              result,
              entry.path("prompt_tokens").asInt(),
              entry.path("cached_prompt_tokens").asInt(),
              entry.path("cache_write_tokens").asInt(),
              entry.path("completion_tokens").asInt(),
              entry.path("served_by").isTextual() ? entry.get("served_by").textValue() : null));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      Log.warnf("Cache entry %s does not parse; treated as a miss", key.entry());
      return Optional.empty();
    }
  }
}
