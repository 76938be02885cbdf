package org.sparsej.server;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed-loop load generator for a running {@code sparsej serve} on 127.0.0.1: N clients each send streamed
 * completions one after another until the duration or the request count is reached. It measures, per request,
 * the time to the first text chunk and the gaps between chunks (one token each, as the server sends them), and
 * counts generated tokens from the usage chunk.
 */
public final class LoadGenerator {
  /** What one level of concurrency gave. */
  public record Result(int clients, int requests, int errors, int retries, double seconds, long completionTokens,
                       double ttftP50, double ttftP99, double itlP50, double itlP99, String firstError) {
    public double requestsPerSecond() {
      return requests / seconds;
    }

    public double tokensPerSecond() {
      return completionTokens / seconds;
    }
  }

  static {
    // Drop an idle pooled connection before the server does (its idle timeout, 30 s by default; JDK 17 keeps them
    // 1200 s), so an idle client does not send on a connection the server is closing. Only if not set by the user.
    if (System.getProperty("jdk.httpclient.keepalive.timeout") == null) {
      System.setProperty("jdk.httpclient.keepalive.timeout", "10");
    }
  }

  /**
   * What the JDK client says when a connection it took from its pool gave EOF before any byte of the response:
   * the request never reached a server that could answer it, so sending it again on a new connection is safe.
   */
  static final String NO_RESPONSE_BYTES = "header parser received no bytes";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;
  private final String body;

  /**
   * @param port the server's port on 127.0.0.1
   * @param prompt the prompt every request sends
   * @param maxTokens tokens each request asks for
   * @param temperature sampling temperature (each request gets its own seed)
   */
  public LoadGenerator(int port, String prompt, int maxTokens, float temperature) {
    this.uri = URI.create("http://127.0.0.1:" + port + "/v1/completions");
    this.body = "{\"prompt\": " + HttpIo.JSON.valueToTree(prompt) + ", \"max_tokens\": " + maxTokens
        + ", \"temperature\": " + temperature + ", \"ignore_eos\": true, \"stream\": true, "
        + "\"stream_options\": {\"include_usage\": true}";
  }

  /** Runs {@code clients} concurrent clients for at most {@code seconds} and {@code maxRequests} requests. */
  public Result run(int clients, double seconds, int maxRequests) throws InterruptedException {
    List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
    List<Double> itl = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger started = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger retries = new AtomicInteger();
    var firstError = new java.util.concurrent.atomic.AtomicReference<String>();
    long[] tokens = new long[clients];
    long t0 = System.nanoTime();
    long deadline = t0 + (long) (seconds * 1e9);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> done = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      done.add(pool.submit(() -> {
        while (System.nanoTime() < deadline && started.incrementAndGet() <= maxRequests) {
          try {
            tokens[client] += oneRetried(client * 1_000_003L + started.get(), ttft, itl, retries);
          } catch (IOException | RuntimeException e) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, e.toString());
          } catch (InterruptedException e) {
            return;
          }
        }
      }));
    }
    for (Future<?> f : done) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        errors.incrementAndGet();
      }
    }
    pool.shutdown();
    double wall = (System.nanoTime() - t0) / 1e9;
    long total = 0;
    for (long t : tokens) {
      total += t;
    }
    int requests = Math.min(started.get(), maxRequests) - errors.get();
    return new Result(clients, requests, errors.get(), retries.get(), wall, total, percentile(ttft, 50),
        percentile(ttft, 99), percentile(itl, 50), percentile(itl, 99), firstError.get());
  }

  /**
   * One request, sent once more (and counted in {@code retries}) only when a pooled connection gave no byte of a
   * response ({@link #NO_RESPONSE_BYTES}); any other failure, and a second one, is an error.
   */
  private long oneRetried(long seed, List<Double> ttft, List<Double> itl, AtomicInteger retries)
      throws IOException, InterruptedException {
    try {
      return one(seed, ttft, itl);
    } catch (IOException e) {
      if (e.getMessage() == null || !e.getMessage().contains(NO_RESPONSE_BYTES)) {
        throw e;
      }
      retries.incrementAndGet();
      return one(seed, ttft, itl);
    }
  }

  /**
   * One streamed request; returns its completion tokens. It reads the body to its end, past {@code [DONE]}: the
   * chunked terminator comes in a separate write after {@code [DONE]} (Jetty's generator flushes the last chunk on
   * its own), and closing the stream before the JDK client has parsed it makes the client cancel the exchange and
   * close the connection, and at times hand the same connection to the next request, which then fails with
   * {@link #NO_RESPONSE_BYTES} (docs/serving.md, "The soak error").
   */
  private long one(long seed, List<Double> ttft, List<Double> itl) throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body + ", \"seed\": " + seed + "}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      if (r.statusCode() != 200) {
        throw new IOException("status " + r.statusCode());
      }
      long last = -1;
      long tokens = -1;
      boolean doneSeen = false;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.startsWith("data: ")) {
          continue;
        }
        String data = line.substring(6);
        if (doneSeen) {
          throw new IOException("data after [DONE]: " + line);
        }
        if (data.equals("[DONE]")) {
          doneSeen = true;
          continue;
        }
        JsonNode j = HttpIo.JSON.readTree(data);
        if (j.has("error")) {
          throw new IOException(j.get("error").path("message").asText());
        }
        JsonNode choices = j.get("choices");
        if (choices != null && choices.size() > 0 && !choices.get(0).path("text").asText().isEmpty()) {
          long now = System.nanoTime();
          if (last < 0) {
            ttft.add((now - start) / 1e9);
          } else {
            itl.add((now - last) / 1e9);
          }
          last = now;
        }
        if (j.path("usage").has("completion_tokens")) {
          tokens = j.get("usage").get("completion_tokens").asLong();
        }
      }
      if (!doneSeen || tokens < 0) {
        throw new IOException("stream ended without usage and [DONE]");
      }
      return tokens;
    }
  }

  static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  /** The server's resident memory in bytes, from its /metrics; -1 if it does not say. */
  public long serverRssBytes() throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.resolve("/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return r.body().lines().filter(l -> l.startsWith("sparsej_process_resident_memory_bytes "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).findFirst().orElse(-1);
  }
}
