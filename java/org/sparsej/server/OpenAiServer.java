package org.sparsej.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.sparsej.api.Model;
import org.sparsej.util.SparsejException;

/**
 * The OpenAI-compatible HTTP server (internal; {@code sparsej serve} runs it): Jetty 12's core API, no servlets.
 * It listens before the model is loaded so /health can answer 503 while loading, then serves
 * {@code /v1/completions}, {@code /v1/chat/completions}, {@code /v1/models}, {@code /health} and {@code /metrics}.
 * Every worker thread is bounded in time: reads and writes fail after the idle timeout, so a client that stops
 * reading cannot hold one for ever.
 */
public final class OpenAiServer implements AutoCloseable {
  static {
    // Jetty logs through SLF4J: only its warnings, on stderr.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
  }

  /**
   * @param host address to bind (127.0.0.1 unless told otherwise)
   * @param port port; 0 = any free one
   * @param maxBodyBytes largest request body accepted (413 beyond)
   * @param idleTimeoutMillis a read or write that makes no progress this long fails and frees its thread
   * @param maxThreads most HTTP worker threads
   */
  public record Options(String host, int port, int maxBodyBytes, long idleTimeoutMillis, int maxThreads) {
    public static Options defaults() {
      return new Options("127.0.0.1", 8080, 1 << 20, 30_000, 200);
    }

    public Options withPort(int p) {
      return new Options(host, p, maxBodyBytes, idleTimeoutMillis, maxThreads);
    }

    public Options withHost(String h) {
      return new Options(h, port, maxBodyBytes, idleTimeoutMillis, maxThreads);
    }

    public Options withIdleTimeoutMillis(long ms) {
      return new Options(host, port, maxBodyBytes, ms, maxThreads);
    }

    public Options withMaxBodyBytes(int n) {
      return new Options(host, port, n, idleTimeoutMillis, maxThreads);
    }
  }

  private static final int SEND_BUFFER_BYTES = 64 << 10;

  private final Server server;
  private final ServerConnector connector;
  private final ServerMetrics metrics;
  private final CompletionEndpoint completions;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile Model model;
  private volatile String modelName;
  private volatile boolean stopping;

  public OpenAiServer(Options options) {
    QueuedThreadPool pool = new QueuedThreadPool(options.maxThreads(), Math.min(8, options.maxThreads()));
    pool.setName("sparsej-http");
    server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(options.host());
    connector.setPort(options.port());
    connector.setIdleTimeout(options.idleTimeoutMillis());
    // A fixed kernel send buffer per connection: answers are small (token events, a few kB), and a client that stops
    // reading then blocks the stream's writes after this many bytes, so the idle timeout cancels it promptly; with
    // the kernel's autotuning (about 1.3 MB on loopback) a stalled stream could run to its end unnoticed.
    connector.setAcceptedSendBufferSize(SEND_BUFFER_BYTES);
    server.addConnector(connector);
    metrics = new ServerMetrics(() -> {
      Model m = model;
      return m == null ? null : m.stats();
    });
    completions = new CompletionEndpoint(metrics, options.maxBodyBytes());
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        route(request, response, callback);
        return true;
      }
    });
  }

  /** Binds and starts answering (/health says 503 until {@link #ready}). */
  public void start() {
    try {
      server.start();
    } catch (Exception e) {
      String why = e instanceof IOException && e.getMessage() != null ? e.getMessage() : e.toString();
      try {
        server.stop();
      } catch (Exception ignored) {
        // already failing: report the first error
      }
      throw new SparsejException("cannot listen on " + connector.getHost() + ":" + connector.getPort() + ": " + why);
    }
  }

  /** The port it listens on (the chosen one when asked for port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The model is loaded: serve it under {@code name} (null = {@link Model#name()}). */
  public void ready(Model loaded, String name) {
    modelName = name == null ? loaded.name() : name;
    model = loaded;
  }

  /**
   * Stops in order: new requests get 503, running generations are cancelled by closing the model (their streams
   * end normally), in-flight responses get a few seconds to finish, then the listener closes. Closes the model.
   */
  @Override
  public void close() {
    stopping = true;
    Model m = model;
    if (m != null) {
      m.close();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    try {
      server.stop();
    } catch (Exception e) {
      throw new SparsejException("stopping the server: " + e);
    }
  }

  private void route(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    String endpoint = switch (path) {
      case "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics" -> path;
      default -> "other";
    };
    inFlight.incrementAndGet();
    int status;
    try {
      status = dispatch(path, method, request, response, callback);
    } catch (ApiError e) {
      status = e.status;
      fail(response, callback, e);
    } catch (IOException e) {
      // The client went away, or sent or read nothing for the idle timeout: answer 408 if it can still hear it.
      status = 408;
      if (response.isCommitted()) {
        callback.failed(e);
      } else {
        response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONNECTION, "close");
        HttpIo.sendJson(response, callback, 408, new ApiError(408, "invalid_request_error", null, "request_timeout",
            "the request was not received in time (" + e.getMessage() + ")").body());
      }
    } catch (RuntimeException e) {
      System.err.println("error: internal error serving " + method + " " + path + ": " + e);
      ApiError internal = new ApiError(500, "server_error", null, "internal_error", "internal error: " + e);
      status = internal.status;
      fail(response, callback, internal);
    } finally {
      inFlight.decrementAndGet();
    }
    metrics.request(endpoint, status);
  }

  private static void fail(Response response, Callback callback, ApiError e) {
    if (response.isCommitted()) {
      callback.failed(e);
    } else {
      HttpIo.sendJson(response, callback, e.status, e.body());
    }
  }

  private int dispatch(String path, String method, Request request, Response response, Callback callback)
      throws IOException {
    Model m = model;
    switch (path) {
      case "/health": {
        requireMethod(method, "GET");
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        int status = m != null && !stopping ? 200 : 503;
        body.put("status", status == 200 ? "ok" : stopping ? "stopping" : "loading");
        HttpIo.sendJson(response, callback, status, body);
        return status;
      }
      case "/metrics":
        requireMethod(method, "GET");
        HttpIo.send(response, callback, 200, metrics.contentType(), metrics.scrape());
        return 200;
      case "/v1/models": {
        requireMethod(method, "GET");
        Model ready = requireReady(m);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("object", "list");
        ObjectNode entry = body.putArray("data").addObject();
        entry.put("id", modelName);
        entry.put("object", "model");
        entry.put("created", 0);
        entry.put("owned_by", "sparsej");
        entry.put("context_length", ready.contextLength());
        HttpIo.sendJson(response, callback, 200, body);
        return 200;
      }
      case "/v1/completions":
      case "/v1/chat/completions":
        requireMethod(method, "POST");
        return completions.handle(request, response, callback, requireReady(m), modelName,
            path.equals("/v1/chat/completions"));
      default:
        throw new ApiError(404, "invalid_request_error", null, "not_found", "no such endpoint: " + method + " "
            + path + " (try /v1/completions, /v1/chat/completions, /v1/models, /health, /metrics)");
    }
  }

  private Model requireReady(Model m) {
    if (m == null || stopping) {
      throw new ApiError(503, "server_error", null, m == null ? "loading" : "stopping",
          m == null ? "the model is still loading; retry when /health says ok" : "the server is shutting down");
    }
    return m;
  }

  private static void requireMethod(String method, String expected) {
    if (!method.equals(expected)) {
      throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "use " + expected
          + " here, not " + method);
    }
  }
}
