package io.llmq.api.http;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Declines the cleartext HTTP/2 upgrade ({@code Upgrade: h2c}) on the plain HTTP port; the request
 * is then answered over HTTP/1.1, as RFC 9113 allows a server that ignores the offer. Vert.x's
 * upgrade of a request that has a body hands the request to the body handler already read, and the
 * REST layer then fails it with a 500: a client that offers the upgrade by default, such as Java's
 * {@code java.net.http.HttpClient}, could not submit a job. HTTP/2 over TLS (ALPN) is unaffected.
 */
@ApplicationScoped
public class NoCleartextHttp2 implements HttpServerOptionsCustomizer {

  @Override
  public void customizeHttpServer(HttpServerOptions options) {
    options.setHttp2ClearTextEnabled(false);
  }
}
