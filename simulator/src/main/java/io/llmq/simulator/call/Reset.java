package io.llmq.simulator.call;

import io.netty.channel.ChannelOption;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/** Connection resets, as a crashing provider or a dropped load balancer produces them. */
final class Reset {

  private Reset() {}

  /**
   * Closes the request's connection with a TCP RST rather than a FIN, so the client sees
   * "connection reset" rather than a clean end. Needs Vert.x internals for the socket option; if
   * they change, the connection is still closed, only politely.
   */
  static void connection(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    if (connection instanceof ConnectionBase base) {
      base.channel().config().setOption(ChannelOption.SO_LINGER, 0);
    }
    connection.close();
  }
}
