package io.llmq.api.problem;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmq.api.TestTenants;
import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sends every case of the hostile-input corpus ({@code corpus/hostile.jsonl}, written by {@code
 * src/test/corpus/generate.py}) to the running api over a raw socket, so each byte is the case's
 * own: no client fixes a header or a body on the way. Each must be answered within a second, never
 * with a 5xx; a 4xx must be problem+json whose {@code code} matches its status; no answer may show
 * a stack trace, a class name, SQL, the host name or a secret. Every failure is listed at once.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class HostileCorpusTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ANSWER_WITHIN_MS = 1000;
  private static final String ADMIN_TOKEN = "test-admin-token";
  private static final String[] LEAKS = {
    "Exception", "java.", "at io.", "at org.", "SELECT ", "INSERT ", "UPDATE jobs", ADMIN_TOKEN
  };

  private record Answer(int status, Map<String, String> headers, String body) {}

  @Test
  void everyHostileRequestIsAnsweredAtOnceWithAProblemAndNothingLeaks() throws Exception {
    Map<String, String> fixtures = fixtures();
    warmUp(fixtures);
    List<String> failures = new ArrayList<>();
    List<String> lines =
        Files.readAllLines(
            Path.of(getClass().getClassLoader().getResource("corpus/hostile.jsonl").toURI()));
    assertTrue(lines.size() >= 300, "the corpus has " + lines.size() + " cases");
    String host = InetAddress.getLocalHost().getHostName();
    for (String line : lines) {
      JsonNode c = JSON.readTree(line);
      String name = c.path("name").asText();
      Answer answer;
      long started = System.nanoTime();
      try {
        answer = send(c, fixtures);
      } catch (SocketTimeoutException e) {
        failures.add(name + ": no answer within " + ANSWER_WITHIN_MS + " ms");
        continue;
      }
      long took = (System.nanoTime() - started) / 1_000_000;
      String problem = judge(c, answer, fixtures, host);
      if (took > ANSWER_WITHIN_MS) {
        problem = (problem == null ? "" : problem + "; ") + "answered after " + took + " ms";
      }
      if (problem != null) {
        failures.add(name + " -> " + answer.status() + ": " + problem);
      }
    }
    assertTrue(
        failures.isEmpty(),
        failures.size() + " of " + lines.size() + " cases failed:\n" + String.join("\n", failures));
  }

  /** What is wrong with the answer to a case, or {@code null}. */
  private static String judge(
      JsonNode c, Answer answer, Map<String, String> fixtures, String host) {
    int status = answer.status();
    String expect = c.path("expect").asText();
    if (status >= 500) {
      return "a server error";
    }
    if ("4xx".equals(expect) && (status < 400 || status >= 500)) {
      return "expected a 4xx";
    }
    if (expect.matches("\\d{3}") && status != Integer.parseInt(expect)) {
      return "expected " + expect;
    }
    for (String leak : LEAKS) {
      if (answer.body().contains(leak)) {
        return "the body shows '" + leak + "'";
      }
    }
    if (answer.body().contains(fixtures.get("key"))) {
      return "the body shows the API key";
    }
    if (host.length() > 3 && answer.body().contains(host)) {
      return "the body shows the host name";
    }
    if (status >= 400 && !(c.path("plain").asBoolean() && answer.body().isEmpty())) {
      String type = answer.headers().getOrDefault("content-type", "");
      if (!type.startsWith("application/problem+json")) {
        return "content type '" + type + "', not problem+json: " + abbreviate(answer.body());
      }
      try {
        JsonNode body = JSON.readTree(answer.body());
        if (body.path("status").asInt() != status) {
          return "problem status " + body.path("status");
        }
        String code = body.path("code").asText();
        if (!codeOf(status).equals(code)) {
          return "code '" + code + "' for status " + status;
        }
        if (!body.path("request_id").isTextual() || !body.path("type").isTextual()) {
          return "no request_id or type";
        }
      } catch (IOException e) {
        return "the problem body is not JSON: " + abbreviate(answer.body());
      }
    }
    return null;
  }

  private static String codeOf(int status) {
    for (ErrorCode code : ErrorCode.values()) {
      if (code.status() == status) {
        return code.wire();
      }
    }
    return "(no code for " + status + ")";
  }

  /** The request as the case's bytes, over its own connection, and the whole answer. */
  private static Answer send(JsonNode c, Map<String, String> fixtures) throws IOException {
    byte[] body = null;
    if (c.has("body_b64")) {
      body = Base64.getDecoder().decode(c.get("body_b64").asText());
    } else if (c.has("body")) {
      body = fill(c.get("body").asText(), fixtures).getBytes(StandardCharsets.UTF_8);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Host", "localhost");
    switch (c.path("auth").asText()) {
      case "key" -> headers.put("Authorization", "Bearer " + fixtures.get("key"));
      case "admin" -> headers.put("Authorization", "Bearer " + ADMIN_TOKEN);
      default -> {}
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = c.path("headers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> header = it.next();
      headers.put(header.getKey(), fill(header.getValue().asText(), fixtures));
    }
    if (body != null && !headers.containsKey("Content-Length")) {
      headers.put("Content-Length", String.valueOf(body.length));
    }
    headers.put("Connection", "close");
    StringBuilder head = new StringBuilder();
    head.append(c.path("method").asText())
        .append(' ')
        .append(fill(c.path("path").asText(), fixtures))
        .append(" HTTP/1.1\r\n");
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("\r\n");
    try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
      socket.setSoTimeout(ANSWER_WITHIN_MS);
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      return read(socket.getInputStream());
    }
  }

  /**
   * Reads the status line, the headers and the body (by {@code Content-Length}, chunks, or to the
   * end); an SSE stream's first bytes are enough.
   */
  private static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    int headEnd = -1;
    byte[] buffer = new byte[8192];
    while (headEnd < 0) {
      int n = in.read(buffer);
      if (n < 0) {
        break;
      }
      raw.write(buffer, 0, n);
      headEnd = raw.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
    }
    String all = raw.toString(StandardCharsets.ISO_8859_1);
    if (headEnd < 0) {
      return new Answer(0, Map.of(), "(connection closed without an answer: " + all + ")");
    }
    String[] lines = all.substring(0, headEnd).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] bytes = raw.toByteArray();
    body.write(bytes, headEnd + 4, bytes.length - headEnd - 4);
    if (!headers.getOrDefault("content-type", "").startsWith("text/event-stream")) {
      long length = Long.parseLong(headers.getOrDefault("content-length", "-1"));
      int n;
      while ((length < 0 || body.size() < length) && (n = in.read(buffer)) >= 0) {
        body.write(buffer, 0, n);
      }
    }
    String text = body.toString(StandardCharsets.UTF_8);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      text = dechunk(text);
    }
    return new Answer(status, headers, text);
  }

  private static String dechunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < chunked.length()) {
      int end = chunked.indexOf("\r\n", at);
      if (end < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(at, end).trim(), 16);
      if (size == 0) {
        break;
      }
      out.append(chunked, end + 2, Math.min(chunked.length(), end + 2 + size));
      at = end + 2 + size + 2;
    }
    return out.toString();
  }

  private static String fill(String text, Map<String, String> fixtures) {
    for (Map.Entry<String, String> fixture : fixtures.entrySet()) {
      text = text.replace("{" + fixture.getKey() + "}", fixture.getValue());
    }
    return text;
  }

  private static String abbreviate(String text) {
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

  /** A tenant with a key and a job, and another tenant's job: what the cases point at. */
  private static Map<String, String> fixtures() {
    String tenant = TestTenants.tenant("corpus");
    Map<String, Object> created =
        given()
            .header("Authorization", TestTenants.ADMIN)
            .contentType(ContentType.JSON)
            .body(Map.of("name", "corpus"))
            .post("/v1/admin/tenants/" + tenant + "/keys")
            .then()
            .statusCode(201)
            .extract()
            .as(Map.class);
    String key = (String) created.get("key");
    String otherKey = TestTenants.freshKey();
    Map<String, String> fixtures = new LinkedHashMap<>();
    fixtures.put("tenant", tenant);
    fixtures.put("key_id", (String) created.get("id"));
    fixtures.put("key", key);
    fixtures.put("job", submit(key));
    fixtures.put("other_job", submit(otherKey));
    return fixtures;
  }

  private static String submit(String key) {
    return given()
        .header("Authorization", TestTenants.bearer(key))
        .contentType(ContentType.JSON)
        .body(TestTenants.job("corpus fixture"))
        .post("/v1/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  /** A young api answers its first requests slowly while it compiles: not what the bar is about. */
  private static void warmUp(Map<String, String> fixtures) {
    for (int i = 0; i < 20; i++) {
      given().header("Authorization", TestTenants.bearer(fixtures.get("key"))).get("/v1/jobs");
      given()
          .header("Authorization", TestTenants.bearer(fixtures.get("key")))
          .contentType(ContentType.JSON)
          .body("{")
          .post("/v1/jobs");
    }
  }
}
