package org.sparsej.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A java.net.http client for the test server on 127.0.0.1, with an SSE parser that checks the framing. */
final class ServerClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A response: status and body. */
  record Reply(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final int port;

  ServerClient(int port) {
    this.port = port;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  Reply get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body());
  }

  Reply post(String path, String body) throws IOException, InterruptedException {
    return post(path, HttpRequest.BodyPublishers.ofString(body));
  }

  Reply post(String path, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(body).build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body());
  }

  HttpResponse<java.io.InputStream> open(String path, String body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  /**
   * The JSON events of a server-sent-event body: every event is one "data: " line and a blank line, and the last
   * is "data: [DONE]" (checked here, not returned).
   */
  static List<JsonNode> events(String body) throws IOException {
    assertTrue(body.endsWith("data: [DONE]\n\n"), "stream must end with data: [DONE]: " + tail(body));
    List<JsonNode> out = new ArrayList<>();
    String[] blocks = body.split("\n\n", -1);
    assertEquals("", blocks[blocks.length - 1]);
    for (int i = 0; i < blocks.length - 2; i++) {
      assertTrue(blocks[i].startsWith("data: ") && !blocks[i].contains("\n"), "bad event: " + blocks[i]);
      out.add(JSON.readTree(blocks[i].substring(6)));
    }
    assertEquals("data: [DONE]", blocks[blocks.length - 2]);
    return out;
  }

  private static String tail(String s) {
    return s.length() < 200 ? s : "..." + s.substring(s.length() - 200);
  }

  /** Asserts an OpenAI error body with all four fields and returns it. */
  static JsonNode assertError(Reply r, int status) {
    assertEquals(status, r.status(), r.body());
    JsonNode e = r.json().get("error");
    assertTrue(e != null && e.get("message").isTextual() && !e.get("message").asText().isEmpty(), r.body());
    assertTrue(e.get("type").isTextual() && e.has("param") && e.has("code"), r.body());
    return e;
  }
}
