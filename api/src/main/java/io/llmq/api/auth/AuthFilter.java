package io.llmq.api.auth;

import io.llmq.api.config.ApiConfig;
import io.llmq.api.problem.ErrorCode;
import io.llmq.api.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every matched endpoint: the admin token for {@link AdminOnly} resources, a tenant's
 * API key with the right scope for {@link Requires} ones. Unknown keys get 401, missing scopes 403.
 */
public class AuthFilter {

  private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer");

  private final ApiKeys keys;
  private final CurrentCaller current;
  private final Optional<byte[]> adminToken;

  AuthFilter(ApiKeys keys, CurrentCaller current, ApiConfig config) {
    this.keys = keys;
    this.current = current;
    this.adminToken =
        config.adminToken().filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8));
  }

  @ServerRequestFilter
  public Uni<Void> authenticate(ContainerRequestContext request, ResourceInfo resource) {
    Class<?> type = resource.getResourceClass();
    Method method = resource.getResourceMethod();
    if (type == null || method == null) {
      return Uni.createFrom().voidItem();
    }
    String token = bearer(request.getHeaderString("Authorization"));
    if (type.isAnnotationPresent(AdminOnly.class)) {
      return isAdmin(token) ? Uni.createFrom().voidItem() : unauthorized();
    }
    Requires required =
        method.isAnnotationPresent(Requires.class)
            ? method.getAnnotation(Requires.class)
            : type.getAnnotation(Requires.class);
    if (required == null) {
      return Uni.createFrom().voidItem();
    }
    if (token == null) {
      return unauthorized();
    }
    return keys.resolve(token)
        .chain(caller -> {
          if (caller == null) {
            return unauthorized();
          }
          if (!caller.scopes().contains(required.value())) {
            return Uni.createFrom()
                .failure(
                    new ProblemException(
                        ErrorCode.FORBIDDEN,
                        "This API key lacks the scope " + required.value().wire() + "."));
          }
          current.set(caller);
          MDC.put("tenantId", caller.tenantId().toString());
          return Uni.createFrom().voidItem();
        });
  }

  private boolean isAdmin(String token) {
    return token != null
        && adminToken
            .map(
                expected -> MessageDigest.isEqual(expected, token.getBytes(StandardCharsets.UTF_8)))
            .orElse(false);
  }

  private static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static Uni<Void> unauthorized() {
    return Uni.createFrom()
        .failure(
            new ProblemException(
                ErrorCode.UNAUTHORIZED,
                "Send a valid key as 'Authorization: Bearer <key>'.",
                CHALLENGE));
  }
}
