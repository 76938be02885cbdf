package org.sparsej.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparsej.server.ServerClient.assertError;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;
import org.sparsej.model.SyntheticCheckpoint;
import org.sparsej.testing.SharedData;

/**
 * One slot and a queue of one, on the Java backend with a random model of sj-7m's shape but a 2048-token context,
 * so a long generation stays running while the test acts: a full queue gives 503, a client that goes away frees
 * its slot, a client that stalls is dropped.
 */
class ServerLimitsTest {
  private static final String LONG_STREAM = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 2000, "
      + "\"temperature\": 0, \"ignore_eos\": true, \"stream\": true}";
  @TempDir static Path dir;
  private static Model model;
  private static OpenAiServer server;
  private static ServerClient client;

  @BeforeAll
  static void start() {
    Path file = dir.resolve("long-context.bin");
    SyntheticCheckpoint.write(file, SyntheticCheckpoint.parseShape(
        "dim=288,hidden=768,layers=6,heads=6,kv_heads=2,vocab=4096,seq=2048"), 7, done -> { });
    model = Model.load(file, ModelOptions.defaults().withBackend("java").withThreads(1).withSlots(1)
        .withMaxQueued(1).withTokenizer(SharedData.path("models/sj-7m/tokenizer.bin")));
    server = new OpenAiServer(OpenAiServer.Options.defaults().withPort(0).withIdleTimeoutMillis(2000));
    server.start();
    server.ready(model, "tiny");
    client = new ServerClient(server.port());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void waitUntilIdle() throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while ((model.stats().running() > 0 || model.stats().queued() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, model.stats().running() + model.stats().queued(), "the engine should be idle");
  }

  @Test
  void fullQueueGets503AndADisconnectFreesTheSlot() throws Exception {
    waitUntilIdle();
    HttpResponse<InputStream> running = client.open("/v1/completions", LONG_STREAM);
    BufferedReader first = new BufferedReader(new InputStreamReader(running.body(), StandardCharsets.UTF_8));
    assertTrue(first.readLine().startsWith("data: "), "the first one runs");
    // A chat stream answers with its role chunk as soon as it is accepted: then it is surely queued.
    HttpResponse<InputStream> queued = client.open("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", "
        + "\"content\": \"hi\"}], \"max_tokens\": 4, \"stream\": true}");
    assertEquals(200, queued.statusCode());
    for (long end = System.nanoTime() + 2_000_000_000L; model.stats().queued() == 0 && System.nanoTime() < end; ) {
      Thread.sleep(5);
    }
    assertEquals(1, model.stats().queued(), "the second one waits: " + model.stats());
    long before = model.stats().generatedTokensTotal();
    assertEquals("queue_full", assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}"),
        503).get("code").asText());

    running.body().close();  // the first client goes away mid-stream
    queued.body().readAllBytes();  // the queued one gets the slot and finishes
    waitUntilIdle();
    long generated = model.stats().generatedTokensTotal() - before;
    assertTrue(generated < 1500, "the dropped stream stopped early; tokens generated since: " + generated);
    assertEquals(200, client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}").status());
  }

  @Test
  void aClientThatStallsIsDroppedAfterTheIdleTimeout() throws Exception {
    waitUntilIdle();
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"prompt\": ").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long t0 = System.nanoTime();
      byte[] reply = s.getInputStream().readAllBytes();  // the server answers or closes; it does not wait forever
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertTrue(seconds < 10, "dropped after the 2 s idle timeout, took " + seconds + " s");
      String text = new String(reply, StandardCharsets.US_ASCII);
      assertTrue(text.isEmpty() || !text.startsWith("HTTP/1.1 200"), text);
    }
    assertEquals(200, client.get("/health").status());
  }

  /** A raw HTTP/1.1 streaming request on a socket with a small receive buffer; returns once the first event came. */
  private static Socket openLongStream() throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(2048);  // set before connecting: a small window, so the server's writes soon block
    s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
    s.setSoTimeout(10_000);
    byte[] body = LONG_STREAM.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    String head = new String(s.getInputStream().readNBytes(200), StandardCharsets.US_ASCII);
    assertTrue(head.startsWith("HTTP/1.1 200") && head.contains("data: "), head);
    return s;
  }

  /** The stream's sequence was cancelled: nothing runs, its slot and KV pages are free, no thread serves it. */
  private static void assertStreamDropped(long generatedBefore, double seconds, double maxSeconds)
      throws Exception {
    waitUntilIdle();
    org.sparsej.api.ModelStats stats = model.stats();
    assertEquals(0, stats.kvBytesInUse(), "KV pages freed: " + stats);
    long generated = stats.generatedTokensTotal() - generatedBefore;
    assertTrue(generated < 2000, "cancelled before its 2000 tokens; generated " + generated);
    assertTrue(seconds < maxSeconds, "cancelled within " + maxSeconds + " s, took " + seconds + " s");
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (streamingThreads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, streamingThreads(), "a worker thread still serves the dropped stream");
    assertEquals(200, client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}").status());
  }

  /** Threads inside the completion endpoint right now. */
  private static long streamingThreads() {
    return Thread.getAllStackTraces().values().stream().filter(trace -> java.util.Arrays.stream(trace)
        .anyMatch(f -> f.getClassName().equals(CompletionEndpoint.class.getName()))).count();
  }

  @Test
  void aClientThatStopsReadingMidStreamIsCancelled() throws Exception {
    waitUntilIdle();
    long before = model.stats().generatedTokensTotal();
    try (Socket s = openLongStream()) {
      long t0 = System.nanoTime();
      // Read nothing more: once the socket buffers are full (the server's 64 KiB, a few hundred tokens) the
      // server's write waits, then fails after the 2 s idle timeout, and the sequence is cancelled while the
      // connection is still open. Well before its 2000 tokens: that it stopped early is the proof.
      long deadline = t0 + 60_000_000_000L;
      while (model.stats().running() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertStreamDropped(before, (System.nanoTime() - t0) / 1e9, 60);
    }
  }

  @Test
  void aClientThatDisconnectsMidStreamIsCancelled() throws Exception {
    waitUntilIdle();
    long before = model.stats().generatedTokensTotal();
    long t0;
    try (Socket s = openLongStream()) {
      t0 = System.nanoTime();
    }  // closed after the first event: the server's next write fails
    assertStreamDropped(before, (System.nanoTime() - t0) / 1e9, 10);
  }

  @Test
  void healthIs503UntilTheModelIsReady() throws Exception {
    try (OpenAiServer loading = new OpenAiServer(OpenAiServer.Options.defaults().withPort(0))) {
      loading.start();
      ServerClient c = new ServerClient(loading.port());
      ServerClient.Reply health = c.get("/health");
      assertEquals(503, health.status());
      assertEquals("loading", health.json().get("status").asText());
      assertEquals("loading", assertError(c.post("/v1/completions", "{\"prompt\": \"x\"}"), 503).get("code")
          .asText());
      assertEquals(200, c.get("/metrics").status());
    }
  }
}
