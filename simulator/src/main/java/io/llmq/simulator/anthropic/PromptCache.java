package io.llmq.simulator.anthropic;

import io.llmq.simulator.answer.CachePrefix;
import io.llmq.simulator.answer.Conversation;
import io.llmq.simulator.call.PromptUsage;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Anthropic's prompt caching as billing sees it, kept in memory per API key. The longest prefix
 * (ending at a {@code cache_control} block) seen before is read from the cache; the rest up to the
 * last marked block is written to it; what follows is plain input. Entries live five minutes from
 * their last use, like Anthropic's default cache.
 */
@ApplicationScoped
public class PromptCache {

  static final Duration TIME_TO_LIVE = Duration.ofMinutes(5);

  private final Map<String, Long> expiries = new ConcurrentHashMap<>();
  private final AtomicLong nextSweep = new AtomicLong(System.nanoTime());

  PromptUsage usage(String apiKey, Conversation conversation) {
    int total = conversation.promptTokens();
    List<CachePrefix> prefixes = conversation.cachePrefixes();
    if (prefixes.isEmpty()) {
      return PromptUsage.uncached(total);
    }
    long now = System.nanoTime();
    sweep(now);
    int read = 0;
    for (CachePrefix prefix : prefixes.reversed()) {
      Long expiry = expiries.get(entry(apiKey, prefix));
      if (expiry != null && expiry - now > 0) {
        read = prefix.tokens();
        break;
      }
    }
    int written = Math.max(0, prefixes.getLast().tokens() - read);
    long expiry = now + TIME_TO_LIVE.toNanos();
    prefixes.forEach(prefix -> expiries.put(entry(apiKey, prefix), expiry));
    return new PromptUsage(total - read - written, written, read);
  }

  private void sweep(long now) {
    long due = nextSweep.get();
    if (now - due >= 0 && nextSweep.compareAndSet(due, now + TIME_TO_LIVE.toNanos())) {
      expiries.values().removeIf(expiry -> expiry - now <= 0);
    }
  }

  private static String entry(String apiKey, CachePrefix prefix) {
    return prefix.hash() + ' ' + apiKey;
  }
}
