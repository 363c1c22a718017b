package io.llmq.api.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A client that sends slowly is cut off instead of holding a connection: a body that does not
 * arrive within {@code llmq.api.body-timeout} gets a 400 and a closed connection; a connection that
 * goes silent mid-headers is closed at {@code quarkus.http.idle-timeout}. Short bounds here; the
 * defaults are 30 s and 75 s.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
@TestProfile(SlowClientTest.ShortTimeouts.class)
class SlowClientTest {

  public static class ShortTimeouts implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("llmq.api.body-timeout", "1s", "quarkus.http.idle-timeout", "2s");
    }
  }

  @Test
  void aBodyThatDripsIsRefusedAndItsConnectionClosed() throws IOException {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer nobody\r\n"
                  + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"request\":")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = readUntilClosed(socket);
      assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
      assertTrue(answer.contains("application/problem+json"), answer);
      assertTrue(answer.contains("\"code\":\"invalid_request\""), answer);
    }
  }

  @Test
  void aConnectionSilentMidHeadersIsClosed() throws IOException {
    try (Socket socket = connect()) {
      socket.getOutputStream().write("GET /v1/jobs HTTP/1.1\r\nHost: loc".getBytes());
      socket.getOutputStream().flush();
      long started = System.nanoTime();
      readUntilClosed(socket);
      long seconds = (System.nanoTime() - started) / 1_000_000_000L;
      assertTrue(seconds < 20, "closed after " + seconds + " s");
    }
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), RestAssured.port);
    // Far above both bounds: a server that never cuts the client off fails the test.
    socket.setSoTimeout(20_000);
    return socket;
  }

  /** Everything the server sends until it closes the connection. */
  private static String readUntilClosed(Socket socket) throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        received.write(buffer, 0, read);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open: " + received, e);
    }
    return received.toString(StandardCharsets.UTF_8);
  }
}
