package io.llmq.api.problem;

/** An RFC 9457 problem body, with llmq's {@code code} and {@code request_id} extensions. */
public record Problem(
    String type, String title, int status, String detail, String code, String requestId) {

  public static Problem of(ErrorCode code, String detail, String requestId) {
    return new Problem(code.type(), code.title(), code.status(), detail, code.wire(), requestId);
  }
}
