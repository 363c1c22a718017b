package io.llmq.worker.provider.simulated;

import io.llmq.common.job.FailureCode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Instructions to the simulator written in a prompt, such as {@code [[sim delay_ms=3000]]}: {@code
 * delay_ms} (how long the call takes), {@code tokens} (how many tokens it answers with) and {@code
 * fail} (a failure code to answer with instead, e.g. {@code upstream_error}), with {@code
 * retry_after_ms} (the wait a failure asks for, as a provider's {@code Retry-After}), {@code
 * fail_at} (the provider, by name, that fails: others answer, as when one provider of a fallback
 * chain is down), and {@code output} for a request with a JSON {@code response_format}: {@code
 * invalid} answers outside the format every time, {@code invalid_once} until the conversation holds
 * an assistant turn (as a repair's does), and {@code classifier} for a prompt-injection classifier
 * call: {@code injection} answers {@code INJECTION} (the default is {@code SAFE}), {@code garbled}
 * an answer that is neither, {@code fail} fails the call, {@code hang} never answers; a job's own
 * call ignores it. They let tests and demos shape a call without configuration. Prompts come from
 * tenants, so values are capped: at most {@link #MAX_DELAY_MS} and {@link #MAX_TOKENS}.
 */
record Directives(
    Long delayMs,
    Integer tokens,
    FailureCode fail,
    Long retryAfterMs,
    String output,
    String failAt,
    String classifier) {

  static final long MAX_DELAY_MS = 600_000;
  static final int MAX_TOKENS = 32_768;

  private static final Pattern DIRECTIVE =
      Pattern.compile(
          "\\[\\[sim\\s+(delay_ms|tokens|fail_at|fail|retry_after_ms|output|classifier)=([a-z0-9_-]+)\\s*]]");

  static Directives in(String text) {
    Long delay = null;
    Integer tokens = null;
    FailureCode fail = null;
    Long retryAfter = null;
    String output = null;
    String failAt = null;
    String classifier = null;
    Matcher matcher = DIRECTIVE.matcher(text);
    while (matcher.find()) {
      String value = matcher.group(2);
      switch (matcher.group(1)) {
        case "delay_ms" -> delay = capped(value, MAX_DELAY_MS);
        case "tokens" -> {
          Long parsed = capped(value, MAX_TOKENS);
          tokens = parsed == null ? null : parsed.intValue();
        }
        case "retry_after_ms" -> retryAfter = capped(value, MAX_DELAY_MS);
        case "output" -> output = value;
        case "fail_at" -> failAt = value;
        case "classifier" -> classifier = value;
        default -> fail = failure(value);
      }
    }
    return new Directives(delay, tokens, fail, retryAfter, output, failAt, classifier);
  }

  private static Long capped(String value, long max) {
    try {
      return Math.min(Long.parseLong(value), max);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static FailureCode failure(String value) {
    try {
      return FailureCode.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
