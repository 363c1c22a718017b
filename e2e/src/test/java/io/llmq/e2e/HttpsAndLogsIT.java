package io.llmq.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged api serving HTTPS from a self-signed certificate made here with keytool, as PEM
 * files and as a PKCS12 keystore; proxy headers honoured from a trusted address only; and the JSON
 * log lines of the api and the worker (prod profile) carrying the request, job, tenant and trace
 * ids of one job, its webhook's included.
 */
class HttpsAndLogsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "e2e-" + UUID.randomUUID();

  private static Path tls;
  private static LlmqProcesses system;
  private static WebhookReceiver receiver;
  private static HttpClient https;
  private static int pemPort;
  private static String tenant;
  private static String key;

  @BeforeAll
  static void start() throws Exception {
    tls = Files.createTempDirectory(Path.of("target"), "tls-").toAbsolutePath();
    Path keystore = selfSigned(tls.resolve("api.p12"));
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    Certificate certificate = store.getCertificate("api");
    Path cert = pem(tls.resolve("cert.pem"), "CERTIFICATE", certificate.getEncoded());
    Path privateKey =
        pem(
            tls.resolve("key.pem"),
            "PRIVATE KEY",
            store.getKey("api", PASSWORD.toCharArray()).getEncoded());
    https = trusting(certificate);
    receiver = new WebhookReceiver();
    pemPort = freePort();
    system =
        new LlmqProcesses("https-")
            .with("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true")
            .with("QUARKUS_LOG_CATEGORY__IO_LLMQ_API_JOB__LEVEL", "DEBUG")
            .with("QUARKUS_LOG_CATEGORY__IO_LLMQ_WORKER_WEBHOOK__LEVEL", "DEBUG")
            // Spans are made (and their ids logged); the exporter's endpoint answers nothing.
            .with("QUARKUS_OTEL_SDK_DISABLED", "false")
            .with("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + freePort())
            .with("LLMQ_WEBHOOKS_ALLOW_INSECURE", "true")
            .with("LLMQ_API_TLS_CERT_FILE", cert.toString())
            .with("LLMQ_API_TLS_KEY_FILE", privateKey.toString())
            .with("LLMQ_API_TLS_PORT", String.valueOf(pemPort))
            .with("LLMQ_API_PROXY_FORWARDING", "true");
    system.start();
    awaitHttps(pemPort);
    io.restassured.RestAssured.port = system.apiPort();
    LlmqProcesses.TenantKey made = system.newTenant("https");
    tenant = made.id();
    key = made.key();
  }

  @AfterAll
  static void stop() throws IOException {
    if (system != null) {
      system.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (tls != null) {
      try (var files = Files.list(tls)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(tls);
    }
  }

  @Test
  void aJobIsSubmittedAndReadOverHttpsWithAPemCertificate() throws Exception {
    HttpResponse<String> submitted =
        https.send(submit("https://localhost:" + pemPort, "Hello over TLS.", Map.of()), text());
    assertEquals(202, submitted.statusCode(), submitted.body());
    String id = JSON.readTree(submitted.body()).path("id").asText();
    String location = submitted.headers().firstValue("Location").orElseThrow();
    assertEquals("https://localhost:" + pemPort + "/v1/jobs/" + id, location);

    HttpResponse<String> read = https.send(get(location), text());
    assertEquals(200, read.statusCode(), read.body());
    assertEquals(id, JSON.readTree(read.body()).path("id").asText());
  }

  @Test
  void behindATrustedProxyLocationIsThePublicHttpsUrl() throws Exception {
    String plain = "http://127.0.0.1:" + system.apiPort();
    HttpResponse<String> forwarded =
        https.send(
            submit(
                plain,
                "Behind a proxy.",
                Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "jobs.example.com")),
            text());
    assertEquals(202, forwarded.statusCode(), forwarded.body());
    assertTrue(
        location(forwarded).startsWith("https://jobs.example.com/v1/jobs/"), location(forwarded));

    HttpResponse<String> standard =
        https.send(
            submit(
                plain,
                "Behind another proxy.",
                Map.of("Forwarded", "proto=https;host=api.example.org:8443")),
            text());
    assertEquals(202, standard.statusCode(), standard.body());
    assertTrue(
        location(standard).startsWith("https://api.example.org:8443/v1/jobs/"), location(standard));
  }

  @Test
  void aKeystoreServesHttpsAndAnUntrustedProxyCannotRewriteLocation() throws Exception {
    int tlsPort = freePort();
    int port =
        system
            .with("LLMQ_API_TLS_CERT_FILE", "")
            .with("LLMQ_API_TLS_KEY_FILE", "")
            .with("LLMQ_API_TLS_KEYSTORE_FILE", tls.resolve("api.p12").toString())
            .with("LLMQ_API_TLS_KEYSTORE_PASSWORD", PASSWORD)
            .with("LLMQ_API_TLS_PORT", String.valueOf(tlsPort))
            .with("LLMQ_API_TRUSTED_PROXIES", "192.0.2.0/24")
            .startAnotherApi();
    awaitHttps(tlsPort);

    HttpResponse<String> submitted =
        https.send(submit("https://localhost:" + tlsPort, "Hello, keystore.", Map.of()), text());
    assertEquals(202, submitted.statusCode(), submitted.body());
    HttpResponse<String> read = https.send(get(location(submitted)), text());
    assertEquals(200, read.statusCode(), read.body());

    HttpResponse<String> forged =
        https.send(
            submit(
                "http://127.0.0.1:" + port,
                "A forged proxy header.",
                Map.of(
                    "X-Forwarded-Proto",
                    "https",
                    "X-Forwarded-Host",
                    "evil.example.com",
                    "Forwarded",
                    "proto=https;host=evil.example.com")),
            text());
    assertEquals(202, forged.statusCode(), forged.body());
    assertTrue(
        location(forged).startsWith("http://127.0.0.1:" + port + "/v1/jobs/"), location(forged));
  }

  @Test
  void logLinesAreJsonWithTheRequestJobTenantAndTraceIds() throws Exception {
    String requestId = "e2e-logs-" + UUID.randomUUID();
    String prompt = "A prompt that never reaches a log " + UUID.randomUUID();
    HttpResponse<String> submitted =
        https.send(
            submit(
                "https://localhost:" + pemPort,
                prompt,
                Map.of("X-Request-Id", requestId),
                ",\"webhook_url\":\"" + receiver.url() + "\""),
            text());
    assertEquals(202, submitted.statusCode(), submitted.body());
    String id = JSON.readTree(submitted.body()).path("id").asText();
    Awaitility.await("the job's webhook delivered")
        .atMost(Duration.ofSeconds(60))
        .until(() -> !receiver.of(id).isEmpty());

    JsonNode accepted =
        awaitLine(
            "api",
            line ->
                id.equals(mdc(line, "jobId"))
                    && line.path("message").asText().contains("accepted"));
    assertEquals(requestId, mdc(accepted, "requestId"));
    assertEquals(tenant, mdc(accepted, "tenantId"));
    assertFalse(mdc(accepted, "traceId").isEmpty(), accepted.toString());

    JsonNode succeeded =
        awaitLine(
            "worker-1",
            line ->
                id.equals(mdc(line, "jobId"))
                    && line.path("message").asText().contains("succeeded"));
    assertEquals(tenant, mdc(succeeded, "tenantId"));
    // Every line about a job, of every job this test ran, carries that job's id (not the id of
    // another job whose context it ran on) and, where it has one, its tenant.
    for (JsonNode line : json("worker-1")) {
      String message = line.path("message").asText();
      if (message.startsWith("Job(id=")) {
        String about = message.substring("Job(id=".length(), message.indexOf(')'));
        assertEquals(about, mdc(line, "jobId"), line.toString());
        assertTrue(Set.of("", tenant).contains(mdc(line, "tenantId")), line.toString());
      }
    }

    JsonNode delivered =
        awaitLine(
            "worker-1",
            line ->
                line.path("loggerName").asText().endsWith("webhook.WebhookSender")
                    && id.equals(mdc(line, "jobId")));
    assertEquals(tenant, mdc(delivered, "tenantId"));

    for (String process : List.of("api", "worker-1")) {
      assertTrue(
          system.logLines(process).stream().noneMatch(line -> line.contains(prompt)),
          "the prompt is in the " + process + " log");
    }
  }

  /**
   * Waits until the HTTPS port answers: the api is ready on its HTTP port first, and the HTTPS
   * listener may still be opening then.
   */
  private static void awaitHttps(int port) {
    Awaitility.await("HTTPS on port " + port)
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() ->
            https.send(get("https://localhost:" + port + "/q/health/ready"), text()).statusCode()
                == 200);
  }

  private static JsonNode awaitLine(String process, Predicate<JsonNode> wanted) {
    return Awaitility.await("a line in the " + process + " log")
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> json(process).stream().filter(wanted).findFirst().orElse(null), Objects::nonNull);
  }

  /** The JSON lines of a process's log (lines before logging starts are plain text). */
  private static List<JsonNode> json(String process) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : system.logLines(process)) {
      if (line.startsWith("{")) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }

  private static String mdc(JsonNode line, String field) {
    return line.path("mdc").path(field).asText("");
  }

  private static HttpRequest submit(String base, String prompt, Map<String, String> headers) {
    return submit(base, prompt, headers, "");
  }

  private static HttpRequest submit(
      String base, String prompt, Map<String, String> headers, String extra) {
    String body =
        "{\"request\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":20,\"messages\":"
            + "[{\"role\":\"user\",\"content\":\""
            + prompt
            + "\"}]}"
            + extra
            + "}";
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/v1/jobs"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return request.build();
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key)
        .GET()
        .build();
  }

  private static HttpResponse.BodyHandler<String> text() {
    return HttpResponse.BodyHandlers.ofString();
  }

  private static String location(HttpResponse<?> response) {
    return response.headers().firstValue("Location").orElse("(no Location)");
  }

  /** A key pair and self-signed certificate for localhost and 127.0.0.1, made with keytool. */
  private static Path selfSigned(Path keystore) throws IOException, InterruptedException {
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process process =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "api",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD)
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + output);
    }
    return keystore;
  }

  private static Path pem(Path file, String type, byte[] der) throws IOException {
    String base64 = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der);
    Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n");
    return file;
  }

  /** A client that trusts {@code certificate} alone. */
  private static HttpClient trusting(Certificate certificate) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("api", certificate);
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .sslContext(context)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
