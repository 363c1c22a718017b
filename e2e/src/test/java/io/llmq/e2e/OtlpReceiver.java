package io.llmq.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An OTLP/HTTP trace receiver ({@code POST /v1/traces}, protobuf) that keeps each span's ids, name,
 * kind, string attributes and the exporting service. It reads the few fields it needs straight off
 * the protobuf wire format, so the test needs no OTLP library.
 */
final class OtlpReceiver implements AutoCloseable {

  /** One exported span; ids in lower-case hex, {@code parentSpanId} empty for a root. */
  record Span(
      String service,
      String traceId,
      String spanId,
      String parentSpanId,
      String name,
      int kind,
      Map<String, String> attributes) {}

  static final int SERVER = 2;
  static final int CLIENT = 3;
  static final int PRODUCER = 4;
  static final int CONSUMER = 5;

  private final HttpServer server;
  private final List<Span> spans = new CopyOnWriteArrayList<>();

  OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/v1/traces", this::receive);
    server.start();
  }

  /** The endpoint to give the apps ({@code LLMQ_OTLP_ENDPOINT}). */
  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<Span> spans() {
    return List.copyOf(spans);
  }

  private void receive(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      try {
        for (Field resourceSpans : fields(body)) {
          if (resourceSpans.number == 1) {
            resourceSpans(resourceSpans.bytes);
          }
        }
      } catch (RuntimeException unreadable) {
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    }
  }

  private void resourceSpans(byte[] message) {
    String service = "";
    List<byte[]> scopes = new ArrayList<>();
    for (Field field : fields(message)) {
      if (field.number == 1) {
        for (Field attribute : fields(field.bytes)) {
          if (attribute.number == 1) {
            Map.Entry<String, String> pair = keyValue(attribute.bytes);
            if (pair != null && pair.getKey().equals("service.name")) {
              service = pair.getValue();
            }
          }
        }
      } else if (field.number == 2) {
        scopes.add(field.bytes);
      }
    }
    for (byte[] scope : scopes) {
      for (Field field : fields(scope)) {
        if (field.number == 2) {
          spans.add(span(service, field.bytes));
        }
      }
    }
  }

  private static Span span(String service, byte[] message) {
    HexFormat hex = HexFormat.of();
    String traceId = "";
    String spanId = "";
    String parent = "";
    String name = "";
    int kind = 0;
    Map<String, String> attributes = new HashMap<>();
    for (Field field : fields(message)) {
      switch (field.number) {
        case 1 -> traceId = hex.formatHex(field.bytes);
        case 2 -> spanId = hex.formatHex(field.bytes);
        case 4 -> parent = hex.formatHex(field.bytes);
        case 5 -> name = new String(field.bytes, StandardCharsets.UTF_8);
        case 6 -> kind = (int) field.varint;
        case 9 -> {
          Map.Entry<String, String> pair = keyValue(field.bytes);
          if (pair != null) {
            attributes.put(pair.getKey(), pair.getValue());
          }
        }
        default -> {}
      }
    }
    return new Span(service, traceId, spanId, parent, name, kind, attributes);
  }

  /** A KeyValue whose value is a string or an integer, as text; null for other kinds. */
  private static Map.Entry<String, String> keyValue(byte[] message) {
    String key = null;
    String value = null;
    for (Field field : fields(message)) {
      if (field.number == 1) {
        key = new String(field.bytes, StandardCharsets.UTF_8);
      } else if (field.number == 2) {
        for (Field any : fields(field.bytes)) {
          if (any.number == 1 && any.bytes != null) {
            value = new String(any.bytes, StandardCharsets.UTF_8);
          } else if (any.number == 3) {
            value = Long.toString(any.varint);
          }
        }
      }
    }
    return key == null || value == null ? null : Map.entry(key, value);
  }

  /** One field of a protobuf message: a varint, or the bytes of a length-delimited field. */
  private record Field(int number, long varint, byte[] bytes) {}

  private static List<Field> fields(byte[] message) {
    List<Field> fields = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
    while (in.hasRemaining()) {
      long tag = varint(in);
      int number = (int) (tag >>> 3);
      switch ((int) (tag & 7)) {
        case 0 -> fields.add(new Field(number, varint(in), null));
        case 1 -> fields.add(new Field(number, in.getLong(), null));
        case 2 -> {
          byte[] bytes = new byte[(int) varint(in)];
          in.get(bytes);
          fields.add(new Field(number, 0, bytes));
        }
        case 5 -> fields.add(new Field(number, in.getInt(), null));
        default -> throw new IllegalArgumentException("wire type " + (tag & 7));
      }
    }
    return fields;
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("varint too long");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
