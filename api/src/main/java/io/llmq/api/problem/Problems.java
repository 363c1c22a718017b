package io.llmq.api.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.api.http.RequestIds;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/** Builds every problem+json response, so all of them look alike. */
@ApplicationScoped
public class Problems {

  public static final String MEDIA_TYPE = "application/problem+json";

  private final ObjectMapper json;

  Problems(ObjectMapper json) {
    this.json = json;
  }

  public Response response(
      ErrorCode code, String detail, HttpServerRequest request, Map<String, String> headers) {
    Problem problem = Problem.of(code, detail, RequestIds.of(request));
    Response.ResponseBuilder builder =
        Response.status(code.status()).type(MEDIA_TYPE).entity(problem);
    headers.forEach(builder::header);
    return builder.build();
  }

  /** The same problem, written straight to a Vert.x response (for route filters). */
  public void write(RoutingContext context, ErrorCode code, String detail) {
    String body;
    try {
      body = json.writeValueAsString(Problem.of(code, detail, RequestIds.of(context.request())));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a Problem always serializes", e);
    }
    context.response().setStatusCode(code.status()).putHeader("Content-Type", MEDIA_TYPE).end(body);
  }
}
