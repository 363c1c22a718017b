package io.llmq.api.problem;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An RFC 9457 problem body, with llmq's {@code code} and {@code request_id} extensions. */
@Schema(name = "Problem", description = "An RFC 9457 problem: every error answer's body.")
public record Problem(
    @Schema(
            format = "uri",
            description = "Stable per code: urn:llmq:problem:<code>.",
            example = "urn:llmq:problem:not_found")
        String type,
    @Schema(description = "The code's title.", example = "Not found") String title,
    @Schema(description = "The HTTP status.", minimum = "400", maximum = "599") int status,
    @Schema(description = "What went wrong, for a person; safe to show.") String detail,
    @Schema(
            enumeration = {
              "invalid_request",
              "unauthorized",
              "budget_exceeded",
              "forbidden",
              "not_found",
              "method_not_allowed",
              "not_acceptable",
              "conflict",
              "payload_too_large",
              "unsupported_media_type",
              "rate_limited",
              "internal",
              "service_unavailable"
            })
        String code,
    @Schema(description = "The request's X-Request-Id.") String requestId) {

  public static Problem of(ErrorCode code, String detail, String requestId) {
    return new Problem(code.type(), code.title(), code.status(), detail, code.wire(), requestId);
  }
}
