package io.llmq.api.problem;

/** The {@code code} of every problem+json body, with its HTTP status and title. */
public enum ErrorCode {
  INVALID_REQUEST(400, "Invalid request"),
  UNAUTHORIZED(401, "Unauthorized"),
  BUDGET_EXCEEDED(402, "Budget exceeded"),
  FORBIDDEN(403, "Forbidden"),
  NOT_FOUND(404, "Not found"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  NOT_ACCEPTABLE(406, "Not acceptable"),
  CONFLICT(409, "Conflict"),
  PAYLOAD_TOO_LARGE(413, "Payload too large"),
  UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
  RATE_LIMITED(429, "Rate limited"),
  INTERNAL(500, "Internal error"),
  SERVICE_UNAVAILABLE(503, "Service unavailable");

  private final int status;
  private final String title;

  ErrorCode(int status, String title) {
    this.status = status;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The stable {@code type} URI of this problem. */
  public String type() {
    return "urn:llmq:problem:" + wire();
  }

  /** The code for an HTTP status that the framework produced on its own. */
  public static ErrorCode forStatus(int status) {
    for (ErrorCode code : values()) {
      if (code.status == status) {
        return code;
      }
    }
    return status >= 500 ? INTERNAL : INVALID_REQUEST;
  }
}
