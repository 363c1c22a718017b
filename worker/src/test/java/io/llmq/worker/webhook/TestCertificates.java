package io.llmq.worker.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Self-signed certificates for the TLS webhook tests, made with the JDK's {@code keytool} when the
 * tests run, so nothing secret is committed. They live in a directory of this JVM's own under
 * {@code target}: the test profile (which points {@code llmq.webhooks.trust-certificates} at them)
 * and the test class may be loaded by different class loaders, and both find the same files.
 */
final class TestCertificates {

  /** The host name the webhook URLs use; the test resolves it to 127.0.0.1. */
  static final String HOST = "hooks.llmq.test";

  static final String PASSWORD = "test-only";

  /** A certificate for {@link #HOST}, trusted by the sender. */
  static final String TRUSTED = "trusted";

  /** A certificate for another name, {@code example.test}, also trusted by the sender. */
  static final String OTHER_NAME = "other-name";

  /** A certificate for {@link #HOST} that the sender does not trust. */
  static final String UNTRUSTED = "untrusted";

  private TestCertificates() {}

  /** The PKCS#12 key store (key and certificate) a test server presents. */
  static synchronized Path keyStore(String name) {
    Path store = directory().resolve(name + ".p12");
    if (!Files.exists(store)) {
      String host = OTHER_NAME.equals(name) ? "example.test" : HOST;
      keytool(
          "-genkeypair",
          "-alias",
          name,
          "-keyalg",
          "EC",
          "-groupname",
          "secp256r1",
          "-dname",
          "CN=" + host,
          "-ext",
          "SAN=dns:" + host,
          "-validity",
          "30",
          "-storetype",
          "PKCS12",
          "-keystore",
          store.toString(),
          "-storepass",
          PASSWORD,
          "-keypass",
          PASSWORD);
    }
    return store;
  }

  /** The certificate of a key store, as a PEM file. */
  static synchronized Path certificate(String name) {
    Path pem = directory().resolve(name + ".pem");
    if (!Files.exists(pem)) {
      keytool(
          "-exportcert",
          "-rfc",
          "-alias",
          name,
          "-keystore",
          keyStore(name).toString(),
          "-storepass",
          PASSWORD,
          "-file",
          pem.toString());
    }
    return pem;
  }

  private static Path directory() {
    Path directory = Path.of("target", "webhook-tls-" + ProcessHandle.current().pid());
    try {
      return Files.createDirectories(directory).toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void keytool(String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(arguments));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      if (process.waitFor() != 0) {
        throw new IllegalStateException("keytool failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
