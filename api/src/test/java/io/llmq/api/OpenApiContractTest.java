package io.llmq.api;

import static io.llmq.api.TestTenants.ADMIN;
import static io.llmq.api.TestTenants.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmq.api.auth.Scope;
import io.llmq.api.problem.ErrorCode;
import io.llmq.common.events.Announcer;
import io.llmq.common.events.EventLog;
import io.llmq.common.job.FailureCode;
import io.llmq.common.job.JobStatus;
import io.llmq.common.job.Priority;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The OpenAPI document at {@code /q/openapi} tells the truth: real requests to the running api and
 * its real answers (status, content type, headers, bodies) are checked against it by {@link
 * OpenApiContract}, for every operation, its successes and its problem+json errors. The document
 * cannot drift: a renamed field, an undocumented field, status or content type fails here.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiContractTest {

  /** A public address literal: passes the webhook guard without DNS (this machine has none). */
  private static final String PUBLIC_HOOK = "https://93.184.216.34/hook";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static JsonNode document;
  private static OpenApiContract contract;

  @Inject EventLog log;
  @Inject Announcer announcer;

  private WorkerStandIn worker;

  @BeforeEach
  void setUp() throws Exception {
    worker = new WorkerStandIn(log, announcer);
    if (contract == null) {
      String text = given().accept(ContentType.JSON).get("/q/openapi?format=json").asString();
      document = JSON.readTree(text);
      contract = new OpenApiContract(text, operations(document));
    }
  }

  @Test
  void theDocumentNamesWhatTheCodeKnows() {
    assertEquals("3.1.0", document.path("openapi").asText());
    JsonNode schemas = document.at("/components/schemas");
    assertEquals(
        wires(JobStatus.values(), status -> status.wire()),
        texts(schemas.at("/Job/properties/status/enum")));
    assertEquals(
        wires(FailureCode.values(), FailureCode::wire),
        texts(schemas.at("/JobError/properties/code/enum")));
    assertEquals(
        wires(ErrorCode.values(), ErrorCode::wire),
        texts(schemas.at("/Problem/properties/code/enum")));
    assertEquals(wires(Scope.values(), Scope::wire), texts(schemas.at("/Scopes/items/enum")));
    assertEquals(
        wires(Priority.values(), Priority::wire),
        texts(schemas.at("/Job/properties/priority/enum")));
    assertEquals(
        wires(Priority.values(), Priority::wire),
        texts(schemas.at("/SubmitRequest/properties/priority/enum")));
    assertEquals(
        Priority.DEFAULT.wire(), schemas.at("/SubmitRequest/properties/priority/default").asText());
    // Every error code has its answer, whose example is the real shape of that problem.
    JsonNode responses = document.at("/components/responses");
    for (ErrorCode code : ErrorCode.values()) {
      JsonNode example =
          responses.findValues("example").stream()
              .filter(candidate -> candidate.path("code").asText().equals(code.wire()))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no documented answer for " + code));
      assertEquals(code.status(), example.path("status").asInt(), code.wire());
      assertEquals(code.type(), example.path("type").asText(), code.wire());
      assertEquals(code.title(), example.path("title").asText(), code.wire());
    }
    // Names as on the wire: no camelCase property anywhere.
    List<String> camel = new ArrayList<>();
    schemas
        .properties()
        .forEach(schema ->
            schema
                .getValue()
                .findValues("properties")
                .forEach(properties ->
                    properties
                        .fieldNames()
                        .forEachRemaining(name -> {
                          if (!name.equals(name.toLowerCase(Locale.ROOT))) {
                            camel.add(schema.getKey() + "." + name);
                          }
                        })));
    assertEquals(List.of(), camel);
    // Every operation says how it is authenticated; both schemes are bearer tokens.
    document
        .path("paths")
        .properties()
        .forEach(path ->
            path.getValue()
                .properties()
                .forEach(operation ->
                    assertFalse(
                        operation.getValue().path("security").isEmpty(),
                        operation.getKey() + " " + path.getKey())));
    for (String scheme : List.of("TenantKey", "AdminToken")) {
      assertEquals(
          "bearer", document.at("/components/securitySchemes/" + scheme + "/scheme").asText());
    }
  }

  @Test
  void aJobsLifeMatchesTheDocument() {
    String tenant = TestTenants.tenant("contract-" + System.nanoTime());
    String key = TestTenants.key(tenant);
    String submit =
        """
        {"request": {"model": "gpt-4o-mini",
                     "messages": [{"role": "system", "content": "Be brief."},
                                  {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                     "max_tokens": 50, "temperature": 0.2, "top_p": 1, "stop": ["\\n\\n"],
                     "seed": 7, "n": 1, "response_format": {"type": "text"},
                     "presence_penalty": 0, "frequency_penalty": 0, "stream": true},
         "cache": "bypass", "metadata": {"ticket": "4711"}, "deadline_seconds": 3600,
         "max_attempts": 3, "priority": "low"}
        """;
    String job =
        checked(key)
            .contentType(ContentType.JSON)
            .header("Idempotency-Key", "contract-" + UUID.randomUUID())
            .body(submit)
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .header("Location", containsString("/v1/jobs/"))
            .extract()
            .path("id");
    UUID id = UUID.fromString(job);
    worker.awaitSubmitted(id);

    checked(key).get("/v1/jobs/" + job).then().statusCode(200);
    checked(key).queryParam("wait_seconds", 0).get("/v1/jobs/" + job).then().statusCode(200);
    String second = submitSimple(key);
    String cursor =
        checked(key)
            .queryParam("limit", 1)
            .get("/v1/jobs")
            .then()
            .statusCode(200)
            .extract()
            .path("next_cursor");
    checked(key).queryParam("after", cursor).get("/v1/jobs").then().statusCode(200);
    checked(key).queryParam("status", "queued").get("/v1/jobs").then().statusCode(200);

    checked(key).post("/v1/jobs/" + second + "/cancel").then().statusCode(200);
    checked(key).post("/v1/jobs/" + second + "/cancel").then().statusCode(409);
    checked(key)
        .accept("text/event-stream")
        .get("/v1/jobs/" + second + "/events")
        .then()
        .statusCode(200);
    checked(key).get("/v1/jobs/" + second + "/webhook-deliveries").then().statusCode(200);
    checked(key)
        .post("/v1/jobs/" + second + "/webhook-deliveries/redeliver")
        .then()
        .statusCode(409);

    // A job run to success, then one that failed after a provider answered: no null left out.
    worker.start(id, key);
    worker.succeed(id, "Hello", 2);
    checked(key).get("/v1/jobs/" + job).then().statusCode(200);
    String failed = submitSimple(key);
    worker.awaitSubmitted(UUID.fromString(failed));
    worker.update(
        "UPDATE jobs SET status = 'failed', error_code = 'upstream_rejected', error_message ="
            + " 'The provider refused the request.', served_provider = 'simulated', served_model"
            + " = 'gpt-4o-mini', completed_at = now(), version = version + 1 WHERE id = '"
            + failed
            + "'");
    checked(key).get("/v1/jobs/" + failed).then().statusCode(200);

    checked(key).get("/v1/usage").then().statusCode(200);
    checked(key)
        .queryParam(
            "from", java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(30).toString())
        .queryParam("to", java.time.Instant.now().plusSeconds(3600).toString())
        .queryParam("group_by", "model")
        .get("/v1/usage")
        .then()
        .statusCode(200);
    checked(key).get("/v1/tenant").then().statusCode(200);
  }

  @Test
  void webhookDeliveriesMatchTheDocument() {
    String key = TestTenants.freshKey();
    String job =
        checked(key)
            .contentType(ContentType.JSON)
            .body(
                "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"hi\"}]},\"webhook_url\":\""
                    + PUBLIC_HOOK
                    + "\"}")
            .post("/v1/jobs")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    UUID id = UUID.fromString(job);
    worker.awaitSubmitted(id);
    worker.start(id, key);
    worker.succeed(id, "done", 1);
    String delivery =
        worker
            .query("SELECT id FROM webhook_deliveries WHERE job_id = '" + job + "'")
            .getFirst()
            .get("id")
            .toString();
    worker.update(
        "INSERT INTO webhook_attempts (delivery_id, job_id, attempted_at, status_code,"
            + " latency_ms, error) VALUES ("
            + delivery
            + ", '"
            + job
            + "', now(), NULL, 10000, 'timed out'), ("
            + delivery
            + ", '"
            + job
            + "', now(), 200, 17, NULL)");
    checked(key).get("/v1/jobs/" + job + "/webhook-deliveries").then().statusCode(200);
    checked(key).post("/v1/jobs/" + job + "/webhook-deliveries/redeliver").then().statusCode(202);
    checked(key).get("/v1/jobs/" + job + "/webhook-deliveries").then().statusCode(200);
  }

  @Test
  void theAdminSurfaceMatchesTheDocument() {
    String tenant =
        admin()
            .contentType(ContentType.JSON)
            .body(
                "{\"name\": \"contract-admin\", \"limits\": {\"requests_per_minute\": 600,"
                    + " \"tokens_per_minute\": 100000, \"max_concurrent_jobs\": 8,"
                    + " \"monthly_budget_usd\": 12.5, \"share_weight\": 2.5},"
                    + " \"alert_webhook_url\": \""
                    + PUBLIC_HOOK
                    + "\"}")
            .post("/v1/admin/tenants")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    admin().get("/v1/admin/tenants/" + tenant).then().statusCode(200);
    admin()
        .contentType(ContentType.JSON)
        .body(
            "{\"name\": \"contract-admin-2\", \"limits\": {\"monthly_budget_usd\": null,"
                + " \"share_weight\": null}}")
        .patch("/v1/admin/tenants/" + tenant)
        .then()
        .statusCode(200);
    admin()
        .contentType("application/merge-patch+json")
        .body("{\"limits\": null, \"alert_webhook_url\": null}")
        .patch("/v1/admin/tenants/" + tenant)
        .then()
        .statusCode(200);
    String cursor =
        admin()
            .queryParam("limit", 1)
            .get("/v1/admin/tenants")
            .then()
            .statusCode(200)
            .extract()
            .path("next_cursor");
    admin().queryParam("after", cursor).get("/v1/admin/tenants").then().statusCode(200);

    String keyId =
        admin()
            .contentType(ContentType.JSON)
            .body(
                "{\"name\": \"ci\", \"scopes\": [\"jobs:read\"], \"limits\":"
                    + " {\"requests_per_minute\": 30, \"monthly_budget_usd\": 1.25}}")
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    admin().get("/v1/admin/tenants/" + tenant + "/keys").then().statusCode(200);
    admin().get("/v1/admin/keys/" + keyId).then().statusCode(200);
    admin()
        .contentType(ContentType.JSON)
        .body("{\"name\": \"ci-2\", \"limits\": {\"requests_per_minute\": null}}")
        .patch("/v1/admin/keys/" + keyId)
        .then()
        .statusCode(200);
    admin().post("/v1/admin/tenants/" + tenant + "/webhook-secret").then().statusCode(200);
    admin()
        .queryParam("group_by", "day")
        .get("/v1/admin/tenants/" + tenant + "/usage")
        .then()
        .statusCode(200);
    admin().delete("/v1/admin/keys/" + keyId).then().statusCode(204);
    admin().get("/v1/admin/keys/" + keyId).then().statusCode(200);
    admin()
        .contentType(ContentType.JSON)
        .body("{\"name\": \"too late\"}")
        .patch("/v1/admin/keys/" + keyId)
        .then()
        .statusCode(409);
    admin().get("/v1/admin/tenants/" + UUID.randomUUID()).then().statusCode(404);
    given()
        .filter(contract.answer())
        .header("Authorization", ADMIN)
        .get("/v1/admin/keys/not-a-uuid")
        .then()
        .statusCode(404);
  }

  @Test
  void errorsMatchTheDocument() {
    String key = TestTenants.freshKey();
    String unknownField =
        "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]},\"urgency\":\"high\"}";
    wrong(key)
        .contentType(ContentType.JSON)
        .body(unknownField)
        .post("/v1/jobs")
        .then()
        .statusCode(400);
    // The document refuses what the api refuses: a client-side check would have caught it.
    ValidationReport request =
        contract.request(
            SimpleRequest.Builder.post("/v1/jobs")
                .withAuthorization(bearer(key))
                .withContentType("application/json")
                .withBody(unknownField)
                .build());
    assertTrue(request.hasErrors(), "the document accepts a field the api refuses");

    wrong(key)
        .contentType(ContentType.JSON)
        .body(
            "{\"request\":{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}}")
        .post("/v1/jobs")
        .then()
        .statusCode(400);
    wrong(key).contentType(ContentType.JSON).body("{} {}").post("/v1/jobs").then().statusCode(400);
    wrong(key).queryParam("limit", 0).get("/v1/jobs").then().statusCode(400);
    wrong(key).queryParam("status", "done").get("/v1/jobs").then().statusCode(400);
    wrong(key).queryParam("group_by", "week").get("/v1/usage").then().statusCode(400);
    wrong(key)
        .header("Last-Event-ID", "x")
        .accept("text/event-stream")
        .get("/v1/jobs/" + submitSimple(key) + "/events")
        .then()
        .statusCode(400);

    given().filter(contract.answer()).get("/v1/jobs").then().statusCode(401);
    given()
        .filter(contract.answer())
        .header("Authorization", "Bearer llmq_not_a_key")
        .get("/v1/tenant")
        .then()
        .statusCode(401);
    given()
        .filter(contract.answer())
        .header("Authorization", "Bearer not-the-admin-token")
        .get("/v1/admin/tenants")
        .then()
        .statusCode(401);
    String readOnly = TestTenants.key(TestTenants.tenant("ro-" + System.nanoTime()), "jobs:read");
    wrong(readOnly)
        .contentType(ContentType.JSON)
        .body(TestTenants.job("hi"))
        .post("/v1/jobs")
        .then()
        .statusCode(403);

    String job = submitSimple(key);
    wrong(key).get("/v1/jobs/" + UUID.randomUUID()).then().statusCode(404);
    wrong(TestTenants.freshKey()).get("/v1/jobs/" + job).then().statusCode(404);
    wrong(key).accept("application/json").get("/v1/jobs/" + job + "/events").then().statusCode(406);

    wrong(key).body(TestTenants.job("hi")).post("/v1/jobs").then().statusCode(415);
    wrong(key).contentType(ContentType.TEXT).body("hi").post("/v1/jobs").then().statusCode(415);
    wrong(key)
        .contentType(ContentType.JSON)
        .body("{\"request\":\"" + "x".repeat(1_100_000) + "\"}")
        .post("/v1/jobs")
        .then()
        .statusCode(413);

    String idempotency = "contract-" + UUID.randomUUID();
    checked(key)
        .contentType(ContentType.JSON)
        .header("Idempotency-Key", idempotency)
        .body(TestTenants.job("one"))
        .post("/v1/jobs")
        .then()
        .statusCode(202);
    checked(key)
        .contentType(ContentType.JSON)
        .header("Idempotency-Key", idempotency)
        .body(TestTenants.job("one"))
        .post("/v1/jobs")
        .then()
        .statusCode(200);
    checked(key)
        .contentType(ContentType.JSON)
        .header("Idempotency-Key", idempotency)
        .body(TestTenants.job("two"))
        .post("/v1/jobs")
        .then()
        .statusCode(409);
  }

  @Test
  void rateLimitsAndBudgetsAnswerAsDocumented() {
    String limited = limitedTenant("{\"requests_per_minute\": 1}");
    String key = TestTenants.key(limited);
    checked(key)
        .contentType(ContentType.JSON)
        .body(TestTenants.job("first"))
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .header("RateLimit", notNullValue());
    checked(key)
        .contentType(ContentType.JSON)
        .body(TestTenants.job("second"))
        .post("/v1/jobs")
        .then()
        .statusCode(429)
        .header("Retry-After", notNullValue());
    checked(key).get("/v1/tenant").then().statusCode(200);

    String broke = TestTenants.key(limitedTenant("{\"monthly_budget_usd\": 0}"));
    checked(broke)
        .contentType(ContentType.JSON)
        .body(TestTenants.job("costly"))
        .post("/v1/jobs")
        .then()
        .statusCode(402);
  }

  /**
   * Each operation refuses a caller without credentials (401), and each tenant operation refuses a
   * key without the scope the document names for it (403): the security the document states is the
   * security the api applies.
   */
  @Test
  void everyOperationDemandsTheCredentialsTheDocumentNames() {
    String tenant = TestTenants.tenant("scopes-" + System.nanoTime());
    Map<String, String> keyWithout = new LinkedHashMap<>();
    for (Scope missing : Scope.values()) {
      String[] others =
          EnumSet.complementOf(EnumSet.of(missing)).stream()
              .map(Scope::wire)
              .toArray(String[]::new);
      keyWithout.put(missing.wire(), TestTenants.key(tenant, others));
    }
    int checkedOperations = 0;
    for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
      String url = path.getKey().replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
      for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
        String method = operation.getKey().toUpperCase(Locale.ROOT);
        boolean body = operation.getValue().has("requestBody");
        call(given(), method, url, body).then().statusCode(401);
        JsonNode tenantScopes = operation.getValue().at("/security/0/TenantKey");
        if (!tenantScopes.isMissingNode()) {
          String scope = tenantScopes.get(0).asText();
          call(given().header("Authorization", bearer(keyWithout.get(scope))), method, url, body)
              .then()
              .statusCode(403);
        }
        checkedOperations++;
      }
    }
    assertTrue(checkedOperations >= 20, "operations checked: " + checkedOperations);
  }

  /** The check itself: a renamed or an extra field in a real answer must fail it. */
  @Test
  void theCheckRefusesARenamedOrAnUndocumentedField() throws Exception {
    String key = TestTenants.freshKey();
    String job = submitSimple(key);
    String path = "/v1/jobs/" + job;
    ObjectNode real =
        (ObjectNode)
            JSON.readTree(
                given().header("Authorization", bearer(key)).get(path).then().extract().asString());
    assertFalse(answer(path, real).hasErrors(), OpenApiContract.describe(answer(path, real)));

    ObjectNode renamed = real.deepCopy();
    renamed.set("webhookUrl", renamed.remove("webhook_url"));
    assertTrue(answer(path, renamed).hasErrors(), "a renamed field passed");

    ObjectNode extra = real.deepCopy();
    extra.put("urgency", "normal");
    assertTrue(answer(path, extra).hasErrors(), "an undocumented field passed");

    ObjectNode missing = real.deepCopy();
    missing.remove("served_by");
    assertTrue(answer(path, missing).hasErrors(), "a missing field passed");
  }

  /** Runs last: every documented operation was seen answering with success by the tests above. */
  @Test
  @Order(Integer.MAX_VALUE)
  void everyDocumentedOperationWasExercised() {
    assertEquals(Set.of(), new TreeSet<>(contract.neverSucceeded()));
  }

  private ValidationReport answer(String path, JsonNode body) {
    return contract.response(
        path,
        Request.Method.GET,
        SimpleResponse.Builder.ok()
            .withContentType("application/json")
            .withHeader("X-Request-Id", "r")
            .withBody(body.toString())
            .build());
  }

  private static io.restassured.response.Response call(
      RequestSpecification spec, String method, String url, boolean body) {
    RequestSpecification request = spec.filter(contract.answer());
    if (body) {
      request = request.contentType(ContentType.JSON).body("{}");
    }
    return request.request(method, url);
  }

  private static String limitedTenant(String limits) {
    return admin()
        .contentType(ContentType.JSON)
        .body("{\"name\": \"limited-" + System.nanoTime() + "\", \"limits\": " + limits + "}")
        .post("/v1/admin/tenants")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  private String submitSimple(String key) {
    return checked(key)
        .contentType(ContentType.JSON)
        .body(TestTenants.job("hello"))
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  /** A tenant's request that the document allows, and its answer checked. */
  private static RequestSpecification checked(String key) {
    return given().filter(contract.exchange()).header("Authorization", bearer(key));
  }

  /** A tenant's request that is wrong on purpose: only its answer is checked. */
  private static RequestSpecification wrong(String key) {
    return given().filter(contract.answer()).header("Authorization", bearer(key));
  }

  private static RequestSpecification admin() {
    return given().filter(contract.exchange()).header("Authorization", ADMIN);
  }

  /** Each operation of the document ({@code "GET /v1/jobs/{id}"}) and the paths it matches. */
  private static Map<String, Pattern> operations(JsonNode document) {
    Map<String, Pattern> operations = new LinkedHashMap<>();
    document
        .path("paths")
        .properties()
        .forEach(path -> {
          Pattern pattern = Pattern.compile(path.getKey().replaceAll("\\{[^}]+}", "[^/]+"));
          path.getValue()
              .fieldNames()
              .forEachRemaining(method ->
                  operations.put(method.toUpperCase(Locale.ROOT) + " " + path.getKey(), pattern));
        });
    return operations;
  }

  private static <E> Set<String> wires(E[] values, java.util.function.Function<E, String> wire) {
    return Arrays.stream(values).map(wire).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> texts = new TreeSet<>();
    array.forEach(element -> {
      if (!element.isNull()) {
        texts.add(element.asText());
      }
    });
    return texts;
  }
}
