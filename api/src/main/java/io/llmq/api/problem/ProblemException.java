package io.llmq.api.problem;

import java.util.Map;

/**
 * A failure whose answer to the client is known: its code, a safe detail, and headers such as
 * {@code Retry-After}. Thrown by services, turned into problem+json by {@link ProblemMappers}.
 */
public class ProblemException extends RuntimeException {

  private final ErrorCode code;
  private final Map<String, String> headers;

  public ProblemException(ErrorCode code, String detail) {
    this(code, detail, Map.of());
  }

  public ProblemException(ErrorCode code, String detail, Map<String, String> headers) {
    super(detail, null, false, false);
    this.code = code;
    this.headers = headers;
  }

  public ErrorCode code() {
    return code;
  }

  public Map<String, String> headers() {
    return headers;
  }

  public static ProblemException invalid(String detail) {
    return new ProblemException(ErrorCode.INVALID_REQUEST, detail);
  }

  public static ProblemException notFound(String detail) {
    return new ProblemException(ErrorCode.NOT_FOUND, detail);
  }

  public static ProblemException conflict(String detail) {
    return new ProblemException(ErrorCode.CONFLICT, detail);
  }
}
