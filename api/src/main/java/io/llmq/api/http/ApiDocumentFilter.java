package io.llmq.api.http;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;

/**
 * Adds to the OpenAPI document what holds for every operation, so no resource has to repeat it: any
 * operation can answer 500 and 503 ({@code ProblemMappers}), an authenticated one 401, one that
 * takes a tenant's key 403 ({@code AuthFilter}); every answer carries {@code X-Request-Id} ({@code
 * RequestIds}), and an answer to a tenant's key may carry the {@code RateLimit} headers ({@code
 * RateLimitHeaders}). Since the api's JSON mapper writes every property, null or not, every
 * property of a response body is marked required; a nullable enumeration is made to allow null.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ApiDocumentFilter implements OASFilter {

  static final String TENANT_KEY = "TenantKey";

  private static final String SCHEMAS = "#/components/schemas/";
  private static final String RESPONSES = "#/components/responses/";

  @Override
  public void filterOpenAPI(OpenAPI document) {
    for (PathItem path : document.getPaths().getPathItems().values()) {
      path.getOperations().values().forEach(this::addCommonAnswers);
    }
    markResponsePropertiesRequired(document);
  }

  private void addCommonAnswers(Operation operation) {
    List<SecurityRequirement> security =
        Objects.requireNonNullElse(operation.getSecurity(), List.of());
    boolean tenant = security.stream().anyMatch(requirement -> requirement.hasScheme(TENANT_KEY));
    if (!security.isEmpty()) {
      addIfAbsent(operation, "401", "Unauthorized");
    }
    if (tenant) {
      addIfAbsent(operation, "403", "Forbidden");
    }
    addIfAbsent(operation, "500", "Internal");
    addIfAbsent(operation, "503", "ServiceUnavailable");
    for (APIResponse response : operation.getResponses().getAPIResponses().values()) {
      if (response.getRef() != null) {
        continue; // a shared answer names its headers itself
      }
      addHeaderIfAbsent(response, RequestIds.HEADER);
      if (tenant) {
        // RateLimitHeaders: on every answer to a key that has a requests_per_minute limit
        addHeaderIfAbsent(response, "RateLimit-Policy");
        addHeaderIfAbsent(response, "RateLimit");
      }
    }
  }

  private static void addHeaderIfAbsent(APIResponse response, String header) {
    Map<String, ?> headers = Objects.requireNonNullElse(response.getHeaders(), Map.of());
    if (!headers.containsKey(header)) {
      response.addHeader(header, OASFactory.createHeader().ref(header));
    }
  }

  private static void addIfAbsent(Operation operation, String status, String response) {
    if (!operation.getResponses().hasAPIResponse(status)) {
      operation.getResponses().addAPIResponse(status, OASFactory.createAPIResponse().ref(response));
    }
  }

  /** Every object schema a response body can reach, through references and nesting. */
  private static void markResponsePropertiesRequired(OpenAPI document) {
    Components components = document.getComponents();
    Map<String, Schema> named = Objects.requireNonNullElse(components.getSchemas(), Map.of());
    Set<String> seen = new HashSet<>();
    List<Schema> pending = new ArrayList<>();
    for (PathItem path : document.getPaths().getPathItems().values()) {
      for (Operation operation : path.getOperations().values()) {
        for (APIResponse response : operation.getResponses().getAPIResponses().values()) {
          pending.addAll(schemasOf(resolve(response, components).getContent()));
        }
      }
    }
    while (!pending.isEmpty()) {
      Schema schema = pending.removeLast();
      if (schema.getRef() != null) {
        String name = schema.getRef().substring(SCHEMAS.length());
        if (seen.add(name) && named.containsKey(name)) {
          pending.add(named.get(name));
        }
        continue;
      }
      allowNullInEnumeration(schema);
      Map<String, Schema> properties = schema.getProperties();
      if (properties != null && !properties.isEmpty()) {
        schema.setRequired(new ArrayList<>(properties.keySet()));
        pending.addAll(properties.values());
      }
      Stream.of(schema.getAllOf(), schema.getAnyOf(), schema.getOneOf())
          .filter(Objects::nonNull)
          .forEach(pending::addAll);
      Stream.of(schema.getItems(), schema.getAdditionalPropertiesSchema())
          .filter(Objects::nonNull)
          .forEach(pending::add);
    }
  }

  /**
   * SmallRye writes a nullable enumeration as {@code type: [string, "null"]} with the enumeration
   * alone, which refuses the null it means to allow.
   */
  private static void allowNullInEnumeration(Schema schema) {
    List<Object> values = schema.getEnumeration();
    List<Schema.SchemaType> types = schema.getType();
    if (values != null
        && types != null
        && types.contains(Schema.SchemaType.NULL)
        && !values.contains(null)) {
      List<Object> withNull = new ArrayList<>(values);
      withNull.add(null);
      schema.setEnumeration(withNull);
    }
  }

  private static APIResponse resolve(APIResponse response, Components components) {
    if (response.getRef() == null) {
      return response;
    }
    return components.getResponses().get(response.getRef().substring(RESPONSES.length()));
  }

  private static List<Schema> schemasOf(Content content) {
    if (content == null || content.getMediaTypes() == null) {
      return List.of();
    }
    return content.getMediaTypes().values().stream()
        .map(media -> media.getSchema())
        .filter(Objects::nonNull)
        .toList();
  }
}
