package io.llmq.api.ratelimit;

import io.llmq.api.auth.Caller;
import io.llmq.api.auth.CurrentCaller;
import io.llmq.api.config.ApiConfig;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Gives every answer to a caller with a limit the {@code RateLimit-Policy} and {@code RateLimit}
 * headers (SPEC §2 Auth). A submit's answer has them from its own check already; any other gets
 * them from a look at the shared state that counts nothing ({@code
 * llmq.api.rate-limits.peek-headers=false} turns that off). Quarkus runs no response filter on SSE
 * streams, so those go without. A look that fails leaves the answer as it is.
 */
public class RateLimitHeaders {

  private final CurrentCaller current;
  private final RateLimits limits;
  private final boolean peek;

  RateLimitHeaders(CurrentCaller current, RateLimits limits, ApiConfig config) {
    this.current = current;
    this.limits = limits;
    this.peek = config.rateLimits().peekHeaders();
  }

  @ServerResponseFilter
  public Uni<Void> addHeaders(ContainerResponseContext response) {
    Caller caller = peek ? current.orNull() : null;
    if (caller == null || !caller.rateLimited() || response.getHeaders().containsKey("RateLimit")) {
      return Uni.createFrom().voidItem();
    }
    return limits
        .peek(caller)
        .invoke(verdict -> verdict.headers().forEach(response.getHeaders()::putSingle))
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull();
  }
}
