package io.llmq.api;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.SimpleValidationReportFormat;
import com.atlassian.oai.validator.report.ValidationReport;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.http.Header;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks real exchanges with the api against its OpenAPI document, with Atlassian's
 * openapi-request-validator. The validator is strict about bodies by default: a property that a
 * schema does not list is an error (it adds {@code additionalProperties: false} wherever a schema
 * leaves it open), so a renamed or undocumented field fails as surely as a missing one. It also
 * fails an undocumented status code or content type.
 *
 * <p>Used as a RestAssured filter: {@link #exchange()} checks the request and the answer, {@link
 * #answer()} only the answer (for requests that are wrong on purpose). Every operation whose
 * successful answer was checked is remembered, so a test can ask which ones were never exercised.
 */
public final class OpenApiContract {

  private final OpenApiInteractionValidator validator;
  private final Map<String, Pattern> operations;
  private final Set<String> succeeded = new HashSet<>();

  /**
   * @param document the document as JSON
   * @param operations each documented operation ({@code "GET /v1/jobs/{id}"}) and a pattern of its
   *     paths
   */
  public OpenApiContract(String document, Map<String, Pattern> operations) {
    this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(document).build();
    this.operations = operations;
  }

  /** Checks the request against the document, and the answer against the operation's. */
  public Filter exchange() {
    return (request, response, context) -> check(request, response, context, true);
  }

  /** Checks only the answer: the request may break the document on purpose. */
  public Filter answer() {
    return (request, response, context) -> check(request, response, context, false);
  }

  /** The request alone, as the document sees it: what a client-side validator would say. */
  public ValidationReport request(SimpleRequest request) {
    return validator.validateRequest(request);
  }

  /** A body that the api might have answered, checked as the answer to an operation. */
  public ValidationReport response(String path, Request.Method method, SimpleResponse response) {
    return validator.validateResponse(path, method, response);
  }

  /** Documented operations that no checked exchange answered with a 2xx. */
  public Set<String> neverSucceeded() {
    Set<String> missing = new HashSet<>(operations.keySet());
    missing.removeAll(succeeded);
    return missing;
  }

  public static String describe(ValidationReport report) {
    return SimpleValidationReportFormat.getInstance().apply(report);
  }

  private Response check(
      FilterableRequestSpecification spec,
      FilterableResponseSpecification responseSpec,
      FilterContext context,
      boolean withRequest) {
    Response response = context.next(spec, responseSpec);
    URI uri = URI.create(spec.getURI());
    SimpleRequest request = toRequest(spec, uri);
    SimpleResponse answer = toResponse(response);
    ValidationReport report =
        withRequest
            ? validator.validate(request, answer)
            : validator.validateResponse(uri.getPath(), request.getMethod(), answer);
    if (report.hasErrors()) {
      throw new AssertionError(
          spec.getMethod()
              + " "
              + uri.getPath()
              + " answered "
              + response.statusCode()
              + " "
              + response.asString()
              + "\nwhich the OpenAPI document does not allow:\n"
              + describe(report));
    }
    if (response.statusCode() / 100 == 2) {
      String method = spec.getMethod().toUpperCase(Locale.ROOT);
      operations.forEach((operation, pattern) -> {
        if (operation.startsWith(method + " ") && pattern.matcher(uri.getPath()).matches()) {
          succeeded.add(operation);
        }
      });
    }
    return response;
  }

  private static SimpleRequest toRequest(FilterableRequestSpecification spec, URI uri) {
    SimpleRequest.Builder request = new SimpleRequest.Builder(spec.getMethod(), uri.getPath());
    for (Header header : spec.getHeaders()) {
      request.withHeader(header.getName(), header.getValue());
    }
    if (spec.getContentType() != null) {
      request.withContentType(spec.getContentType());
    }
    Object body = spec.getBody();
    if (body != null) {
      request.withBody(body.toString());
    }
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        String[] parts = pair.split("=", 2);
        request.withQueryParam(decode(parts[0]), parts.length == 2 ? decode(parts[1]) : "");
      }
    }
    return request.build();
  }

  private static SimpleResponse toResponse(Response response) {
    SimpleResponse.Builder answer = SimpleResponse.Builder.status(response.statusCode());
    for (Header header : response.getHeaders()) {
      answer.withHeader(header.getName(), List.of(header.getValue()));
    }
    if (response.getContentType() != null && !response.getContentType().isEmpty()) {
      answer.withContentType(response.getContentType());
    }
    String body = response.asString();
    if (!body.isEmpty()) {
      answer.withBody(body);
    }
    return answer.build();
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }
}
