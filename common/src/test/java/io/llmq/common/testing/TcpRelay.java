package io.llmq.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a loopback port of its own in front of a real service, for faults a test cannot
 * ask the shared service for: {@link #freeze} holds every byte in both directions (a host that
 * hangs without refusing: connections stay open, nothing answers), {@link #cut} closes every
 * connection and refuses new ones (an outage), {@link #restore} ends either. One thread per
 * direction per connection: fine for the handful of connections a test's app opens.
 */
public final class TcpRelay implements AutoCloseable {

  private final String targetHost;
  private final int targetPort;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private volatile boolean frozen;
  private volatile boolean refusing;
  private volatile boolean closed;

  public TcpRelay(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    try {
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException("no loopback port for a relay", e);
    }
    Thread acceptor = new Thread(this::accept, "relay-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The loopback port clients connect to instead of the service's. */
  public int port() {
    return server.getLocalPort();
  }

  /** Holds every byte from now on, in both directions, on open and new connections. */
  public void freeze() {
    frozen = true;
  }

  /** Closes every connection and refuses new ones (they are accepted and closed at once). */
  public void cut() {
    refusing = true;
    for (Socket socket : open) {
      quietlyClose(socket);
    }
  }

  /** Relays again: held bytes flow on, new connections are served. */
  public void restore() {
    refusing = false;
    synchronized (gate) {
      frozen = false;
      gate.notifyAll();
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (refusing) {
        quietlyClose(client);
        continue;
      }
      try {
        Socket upstream = new Socket(targetHost, targetPort);
        open.add(client);
        open.add(upstream);
        pipe(client, upstream);
        pipe(upstream, client);
      } catch (IOException e) {
        quietlyClose(client);
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                  awaitThaw();
                  out.write(buffer, 0, read);
                  out.flush();
                }
              } catch (IOException | InterruptedException ended) {
                // Either side closed, or the relay cut it.
              } finally {
                quietlyClose(from);
                quietlyClose(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "relay-pipe");
    thread.setDaemon(true);
    thread.start();
  }

  private void awaitThaw() throws InterruptedException, SocketException {
    synchronized (gate) {
      while (frozen && !closed) {
        gate.wait();
      }
    }
    if (refusing || closed) {
      throw new SocketException("relay cut");
    }
  }

  private static void quietlyClose(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is all that was asked.
    }
  }

  @Override
  public void close() {
    closed = true;
    restore();
    quietlyClose(server);
    for (Socket socket : open) {
      quietlyClose(socket);
    }
  }

  private static void quietlyClose(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is all that was asked.
    }
  }
}
