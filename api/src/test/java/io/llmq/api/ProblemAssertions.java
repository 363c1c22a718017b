package io.llmq.api;

import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.restassured.response.ValidatableResponse;

/**
 * What every error answer must be: problem+json with a stable type, its status and its code, and
 * nothing of llmq's insides (no class name, no stack frame, no SQL).
 */
public final class ProblemAssertions {

  private ProblemAssertions() {}

  public static ValidatableResponse isProblem(
      ValidatableResponse response, int status, String code) {
    return response
        .statusCode(status)
        .contentType("application/problem+json")
        .body("type", equalTo("urn:llmq:problem:" + code))
        .body("status", equalTo(status))
        .body("code", equalTo(code))
        .body("title", notNullValue())
        .body("detail", notNullValue())
        .body("request_id", notNullValue())
        .body(
            allOf(
                not(containsString("Exception")),
                not(containsString("java.")),
                not(containsString("SELECT"))));
  }
}
