package io.llmq.common.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A chat request's {@code response_format} as llmq checks answers against it (SPEC §3 Guardrails):
 * {@code json_object} asks for an answer that parses as one JSON object, {@code json_schema} for
 * one that validates against {@code json_schema.schema} (JSON Schema 2020-12 unless the schema's
 * {@code $schema} names another draft; without a {@code schema}, any JSON value). {@code text}, or
 * no format, asks nothing. Schemas are read by {@code com.networknt:json-schema-validator}; they
 * may refer only into themselves and to the JSON Schema meta-schemas the library ships: no {@code
 * $ref} is ever fetched from the network or the class path.
 */
public final class ResponseFormat {

  /** What the request asks of the answer. */
  public enum Kind {
    JSON_OBJECT,
    JSON_SCHEMA
  }

  /** Most validation errors reported for one answer; the rest are counted. */
  static final int MAX_ERRORS = 10;

  /** Trailing data after the value makes an answer invalid, as it would any JSON parser's. */
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final String META_SCHEMA = "https://json-schema.org/draft/2020-12/schema";

  /**
   * Validators that read only the meta-schemas bundled in the library's jar: any other IRI is
   * blocked, so a tenant's {@code $ref} cannot make llmq fetch a URL or read a resource.
   */
  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(
          SpecificationVersion.DRAFT_2020_12,
          builder ->
              builder.schemaLoader(loader ->
                  loader
                      .fetchRemoteResources(false)
                      .block(iri ->
                          !iri.toString().startsWith("https://json-schema.org/")
                              && !iri.toString().startsWith("http://json-schema.org/"))));

  private static final Schema META = REGISTRY.getSchema(SchemaLocation.of(META_SCHEMA));

  private final Kind kind;
  private final JsonNode schema;
  private final String name;
  private volatile Schema compiled;

  private ResponseFormat(Kind kind, JsonNode schema, String name) {
    this.kind = kind;
    this.schema = schema;
    this.name = name;
  }

  /**
   * The format {@code request} asks for; empty for {@code text}, none, or a {@code response_format}
   * that is not an object (the api refuses those at submit).
   */
  public static Optional<ResponseFormat> of(JsonNode request) {
    return ofFormat(request == null ? null : request.get("response_format"));
  }

  /** The format a {@code response_format} value asks for, as {@link #of} reads it. */
  public static Optional<ResponseFormat> ofFormat(JsonNode format) {
    if (format == null || !format.isObject()) {
      return Optional.empty();
    }
    return switch (format.path("type").asText("")) {
      case "json_object" -> Optional.of(new ResponseFormat(Kind.JSON_OBJECT, null, null));
      case "json_schema" -> {
        JsonNode spec = format.path("json_schema");
        JsonNode schema = spec.get("schema");
        String name = spec.path("name").isTextual() ? spec.get("name").textValue() : null;
        yield Optional.of(
            new ResponseFormat(
                Kind.JSON_SCHEMA, schema == null || schema.isNull() ? null : schema, name));
      }
      default -> Optional.empty();
    };
  }

  public Kind kind() {
    return kind;
  }

  /** The schema of a {@code json_schema} format; empty for {@code json_object} or none given. */
  public Optional<JsonNode> schema() {
    return Optional.ofNullable(schema);
  }

  /** {@code json_schema.name}, as the request gave it. */
  public Optional<String> name() {
    return Optional.ofNullable(name);
  }

  /**
   * What is wrong with the schema itself, checked against the JSON Schema 2020-12 meta-schema and
   * then by compiling it: empty when it can validate answers. For the api's check at submit.
   */
  public List<String> schemaProblems() {
    if (schema == null) {
      return List.of();
    }
    if (!schema.isObject() && !schema.isBoolean()) {
      return List.of("the schema must be a JSON object");
    }
    List<String> problems = messages(META.validate(schema));
    if (!problems.isEmpty()) {
      return problems;
    }
    try {
      compiled();
      return List.of();
    } catch (SchemaException | IllegalArgumentException | IllegalStateException e) {
      return List.of(
          "the schema cannot be used: "
              + Optional.ofNullable(e.getMessage())
                  .orElse("unreadable")
                  .lines()
                  .findFirst()
                  .orElse("unreadable"));
    }
  }

  /**
   * The errors of an answer's {@code content}: empty when it satisfies the format. Each names where
   * in the answer it is, as a JSON pointer ({@code /items/0: integer found, string expected}; none
   * for the answer as a whole). At most {@value #MAX_ERRORS} are listed, then how many more there
   * were.
   */
  public List<String> errorsOf(String content) {
    if (content == null || content.isBlank()) {
      return List.of("the answer is empty; a JSON " + expected() + " was required");
    }
    JsonNode answer;
    try {
      answer = JSON.readTree(content);
    } catch (JsonProcessingException e) {
      return List.of(
          "the answer is not valid JSON ("
              + e.getOriginalMessage().lines().findFirst().orElse("unreadable")
              + ")");
    }
    if (answer == null || answer.isMissingNode()) {
      return List.of("the answer is not valid JSON");
    }
    if (kind == Kind.JSON_OBJECT) {
      return answer.isObject()
          ? List.of()
          : List.of("the answer is JSON but not an object; a JSON object was required");
    }
    if (schema == null) {
      return List.of();
    }
    try {
      return messages(compiled().validate(answer));
    } catch (SchemaException | IllegalArgumentException | IllegalStateException e) {
      return List.of("the answer could not be checked against the schema");
    }
  }

  private String expected() {
    return kind == Kind.JSON_OBJECT ? "object" : "value matching the schema";
  }

  private Schema compiled() {
    Schema found = compiled;
    if (found == null) {
      found = REGISTRY.getSchema(schema);
      found.initializeValidators();
      compiled = found;
    }
    return found;
  }

  private static List<String> messages(List<Error> errors) {
    List<String> messages = new ArrayList<>();
    for (Error error : errors) {
      if (messages.size() == MAX_ERRORS) {
        messages.add("and " + (errors.size() - MAX_ERRORS) + " more");
        break;
      }
      String where = String.valueOf(error.getInstanceLocation());
      messages.add(where.isEmpty() ? error.getMessage() : where + ": " + error.getMessage());
    }
    return messages;
  }
}
