package org.sparsej.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/** Reading bounded, strictly UTF-8 JSON bodies and writing whole or streamed responses, on Jetty's core API. */
final class HttpIo {
  static final ObjectMapper JSON = new ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * How much of an over-limit body is read and dropped before the 413 goes out. Answering while the client is still
   * sending, then closing, can reach the client as a failed write instead of the answer (a CI run: "HTTP/1.1 header
   * parser received no bytes", raised on the write side, for a 100 KB body); a larger body is cut off at once.
   */
  static final long DRAIN_LIMIT_BYTES = 8L << 20;

  private HttpIo() {}

  /** The request body as JSON: 413 over {@code maxBytes}, 400 for invalid UTF-8 or JSON. */
  static JsonNode readJson(Request request, int maxBytes) throws IOException {
    long declared = request.getLength();
    byte[] body;
    try (InputStream in = Request.asInputStream(request)) {
      if (declared > maxBytes) {
        if (declared <= DRAIN_LIMIT_BYTES) {
          drain(in);
        }
        throw tooLarge(maxBytes);
      }
      body = in.readNBytes(maxBytes + 1);
      if (body.length > maxBytes) {
        drain(in);
        throw tooLarge(maxBytes);
      }
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw ApiError.invalid(null, "invalid_encoding", "the request body is not valid UTF-8");
    }
    if (text.isBlank()) {
      throw ApiError.invalid(null, "invalid_json", "the request body is empty (expected a JSON object)");
    }
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiError.invalid(null, "invalid_json", "the request body is not valid JSON: "
          + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
  }

  /** Reads and drops what is left of a body, up to DRAIN_LIMIT_BYTES. */
  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[16 << 10];
    long left = DRAIN_LIMIT_BYTES;
    for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; ) {
      left -= n;
    }
  }

  private static ApiError tooLarge(int maxBytes) {
    return new ApiError(413, "invalid_request_error", null, "request_too_large",
        "the request body is over the limit of " + maxBytes + " bytes");
  }

  /** Sends a whole response and completes the exchange. */
  static void send(Response response, Callback callback, int status, String contentType, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }

  static void sendJson(Response response, Callback callback, int status, JsonNode body) {
    try {
      send(response, callback, status, "application/json", JSON.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes a piece of a streamed response and waits until it has gone out; a client that stopped reading makes
   * this fail after the connector's idle timeout, a closed connection at once (as an IOException).
   */
  static void writeBlocking(Response response, boolean last, String text) throws IOException {
    try (Blocker.Callback done = Blocker.callback()) {
      response.write(last, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), done);
      done.block();
    }
  }

  static String json(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static Throwable unwrap(Throwable e) {
    return e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
  }
}
