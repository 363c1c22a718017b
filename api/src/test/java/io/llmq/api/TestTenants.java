package io.llmq.api;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;

/** Creates tenants and keys through the admin API, as an operator would. */
public final class TestTenants {

  public static final String ADMIN = "Bearer test-admin-token";

  private TestTenants() {}

  /** A new tenant's id. */
  public static String tenant(String name) {
    return given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body(Map.of("name", name))
        .post("/v1/admin/tenants")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  /** A key of the tenant with the given scopes (all when none are given). */
  public static String key(String tenantId, String... scopes) {
    Map<String, Object> body =
        scopes.length == 0
            ? Map.of("name", "test")
            : Map.of("name", "test", "scopes", List.of(scopes));
    return given()
        .header("Authorization", ADMIN)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/v1/admin/tenants/" + tenantId + "/keys")
        .then()
        .statusCode(201)
        .extract()
        .path("key");
  }

  /** A fresh tenant's key with every scope. */
  public static String freshKey() {
    return key(tenant("tenant-" + System.nanoTime()));
  }

  public static String bearer(String key) {
    return "Bearer " + key;
  }

  /** A minimal valid submission body. */
  public static String job(String prompt) {
    return "{\"request\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}}";
  }
}
