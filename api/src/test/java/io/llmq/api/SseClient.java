package io.llmq.api;

import io.restassured.RestAssured;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;

/**
 * A plain server-sent-events client for tests: opens a stream, reads it on a thread of its own and
 * collects its events and comment lines, as a browser's EventSource would see them.
 */
public final class SseClient implements AutoCloseable {

  /** One event: its {@code id:}, {@code event:} and {@code data:} fields. */
  public record Event(String id, String type, String data) {
    public long number() {
      return Long.parseLong(id);
    }
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private final HttpResponse<InputStream> response;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<String> comments = new CopyOnWriteArrayList<>();
  private volatile boolean ended;

  private SseClient(HttpResponse<InputStream> response) {
    this.response = response;
    if (response.statusCode() == 200) {
      Thread reader = new Thread(this::read, "sse-test-client");
      reader.setDaemon(true);
      reader.start();
    } else {
      ended = true;
    }
  }

  /** Opens {@code /v1/jobs/{id}/events} with the key, and a {@code Last-Event-ID} if not null. */
  public static SseClient open(String jobId, String key, String lastEventId) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://localhost:" + RestAssured.port + "/v1/jobs/" + jobId + "/events"))
            .header("Accept", "text/event-stream")
            .GET();
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    try {
      return new SseClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static SseClient open(String jobId, String key) {
    return open(jobId, key, null);
  }

  public int status() {
    return response.statusCode();
  }

  public String header(String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  /** The body of a response that is not a stream (an error). */
  public String body() {
    try {
      return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  public List<String> comments() {
    return List.copyOf(comments);
  }

  public boolean ended() {
    return ended;
  }

  /** Waits until the server has closed the stream. */
  public List<Event> awaitEnd() {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ended);
    return events();
  }

  /** Waits until at least {@code count} events have come. */
  public List<Event> awaitEvents(int count) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= count);
    return events();
  }

  /** Goes away, as a client that closes the page does. */
  @Override
  public void close() {
    try {
      response.body().close();
    } catch (IOException e) {
      // already gone
    }
  }

  private void read() {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String id = null;
      String type = null;
      List<String> data = new ArrayList<>();
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (!data.isEmpty()) {
            events.add(new Event(id, type == null ? "message" : type, String.join("\n", data)));
          }
          id = null;
          type = null;
          data = new ArrayList<>();
        } else if (line.startsWith(":")) {
          comments.add(line);
        } else if (line.startsWith("id:")) {
          id = value(line, 3);
        } else if (line.startsWith("event:")) {
          type = value(line, 6);
        } else if (line.startsWith("data:")) {
          data.add(value(line, 5));
        }
      }
    } catch (IOException e) {
      // closed by close()
    } finally {
      ended = true;
    }
  }

  private static String value(String line, int from) {
    String value = line.substring(from);
    return value.startsWith(" ") ? value.substring(1) : value;
  }
}
