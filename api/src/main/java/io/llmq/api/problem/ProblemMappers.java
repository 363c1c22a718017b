package io.llmq.api.problem;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.llmq.common.failure.Outages;
import io.quarkus.logging.Log;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place exceptions become HTTP answers. Details are written here, for the client; nothing
 * of a library's own message, a class name or a stack trace reaches a response body.
 */
public class ProblemMappers {

  /** What an outage answer suggests: databases and brokers restart within seconds. */
  private static final String RETRY_AFTER_SECONDS = "5";

  private final Problems problems;

  ProblemMappers(Problems problems) {
    this.problems = problems;
  }

  @ServerExceptionMapper
  public Response problem(ProblemException e, HttpServerRequest request) {
    return problems.response(e.code(), e.getMessage(), request, e.headers());
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e, HttpServerRequest request) {
    String allow =
        e.getResponse().getAllowedMethods().stream().sorted().collect(Collectors.joining(", "));
    return problems.response(
        ErrorCode.METHOD_NOT_ALLOWED,
        "This endpoint does not accept " + request.method().name() + ".",
        request,
        allow.isEmpty() ? Map.of() : Map.of("Allow", allow));
  }

  @ServerExceptionMapper
  public Response webApplication(WebApplicationException e, HttpServerRequest request) {
    int status = e.getResponse().getStatus();
    ErrorCode code = ErrorCode.forStatus(status);
    return problems.response(code, detailFor(code), request, Map.of());
  }

  @ServerExceptionMapper
  public Response malformedJson(JsonParseException e, HttpServerRequest request) {
    return problems.response(
        ErrorCode.INVALID_REQUEST, "The body is not valid JSON.", request, Map.of());
  }

  @ServerExceptionMapper
  public Response wrongShape(MismatchedInputException e, HttpServerRequest request) {
    return problems.response(ErrorCode.INVALID_REQUEST, shapeDetail(e), request, Map.of());
  }

  @ServerExceptionMapper
  public Response unreadable(JsonProcessingException e, HttpServerRequest request) {
    String detail =
        e instanceof JsonMappingException mapping
            ? shapeDetail(mapping)
            : "The body is not valid JSON.";
    return problems.response(ErrorCode.INVALID_REQUEST, detail, request, Map.of());
  }

  /** Two writers raced on one record (a tenant); the loser may simply retry. */
  @ServerExceptionMapper({
    jakarta.persistence.OptimisticLockException.class,
    org.hibernate.StaleStateException.class
  })
  public Response raced(RuntimeException e, HttpServerRequest request) {
    return problems.response(
        ErrorCode.CONFLICT,
        "The record changed while this request updated it; retry.",
        request,
        Map.of());
  }

  @ServerExceptionMapper
  public Response unexpected(Throwable e, HttpServerRequest request) {
    if (Outages.isOutage(e)) {
      Log.warnf(
          "A backing service is unavailable for %s %s: %s", request.method(), request.path(), e);
      return problems.response(
          ErrorCode.SERVICE_UNAVAILABLE,
          "A service llmq depends on is briefly unavailable; retry shortly.",
          request,
          Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }
    Log.errorf(e, "Unexpected failure answering %s %s", request.method(), request.path());
    return problems.response(
        ErrorCode.INTERNAL,
        "Something went wrong on our side; the request id identifies it in our logs.",
        request,
        Map.of());
  }

  private static String shapeDetail(JsonMappingException e) {
    String field =
        e.getPath().stream()
            .map(
                ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    return field.isEmpty()
        ? "The body does not have the expected shape."
        : "Field '" + field + "' has the wrong type or form.";
  }

  private static String detailFor(ErrorCode code) {
    return switch (code) {
      case NOT_FOUND -> "No such resource.";
      case UNSUPPORTED_MEDIA_TYPE -> "Send the body as application/json.";
      case NOT_ACCEPTABLE -> "This resource cannot answer in the requested media type.";
      case UNAUTHORIZED -> "Missing or invalid credentials.";
      case FORBIDDEN -> "These credentials do not allow this.";
      case PAYLOAD_TOO_LARGE -> "The request body is too large.";
      case INVALID_REQUEST -> "The request body could not be read as JSON.";
      default -> "The request could not be processed.";
    };
  }
}
