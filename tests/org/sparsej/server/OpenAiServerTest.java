package org.sparsej.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparsej.server.ServerClient.assertError;
import static org.sparsej.server.ServerClient.events;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;
import org.sparsej.server.ServerClient.Reply;
import org.sparsej.testing.SharedData;

/** The real server on a free loopback port, spoken to over HTTP: answers, streams, concurrency, bad input. */
class OpenAiServerTest {
  private static final String GREEDY_PREFIX = " to the first time, and to the end of the morning";
  private static Model model;
  private static OpenAiServer server;
  private static ServerClient client;

  @BeforeAll
  static void start() {
    model = Model.load(SharedData.sj7m(), ModelOptions.defaults().withThreads(2).withSlots(4).withMaxQueued(32));
    server = new OpenAiServer(OpenAiServer.Options.defaults().withPort(0).withMaxBodyBytes(64 << 10));
    server.start();
    server.ready(model, null);
    client = new ServerClient(server.port());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String completion(String prompt, int maxTokens, String extra) {
    return "{\"model\": \"sj-7m\", \"prompt\": " + quote(prompt) + ", \"max_tokens\": " + maxTokens
        + ", \"temperature\": 0" + extra + "}";
  }

  private static String quote(String s) {
    return ServerClient.JSON.valueToTree(s).toString();
  }

  @Test
  void healthAndModels() throws Exception {
    Reply health = client.get("/health");
    assertEquals(200, health.status());
    assertEquals("ok", health.json().get("status").asText());
    JsonNode models = client.get("/v1/models").json();
    assertEquals("list", models.get("object").asText());
    assertEquals("sj-7m", models.get("data").get(0).get("id").asText());
  }

  @Test
  void completionGivesTheGreedyTextAndUsage() throws Exception {
    Reply r = client.post("/v1/completions", completion("Once upon a time", 20, ""));
    assertEquals(200, r.status(), r.body());
    JsonNode j = r.json();
    assertEquals("text_completion", j.get("object").asText());
    JsonNode choice = j.get("choices").get(0);
    assertTrue(choice.get("text").asText().startsWith(GREEDY_PREFIX), r.body());
    assertEquals("length", choice.get("finish_reason").asText());
    assertEquals(6, j.get("usage").get("prompt_tokens").asInt());
    assertEquals(20, j.get("usage").get("completion_tokens").asInt());
    assertEquals(26, j.get("usage").get("total_tokens").asInt());
  }

  @Test
  void streamedCompletionHasTheSameTextThenUsageThenDone() throws Exception {
    String whole = client.post("/v1/completions", completion("In the beginning", 24, "")).json()
        .get("choices").get(0).get("text").asText();
    Reply r = client.post("/v1/completions", completion("In the beginning", 24,
        ", \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
    assertEquals(200, r.status(), r.body());
    List<JsonNode> ev = events(r.body());
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < ev.size() - 2; i++) {
      JsonNode c = ev.get(i).get("choices").get(0);
      assertTrue(c.get("finish_reason").isNull());
      assertTrue(ev.get(i).get("usage").isNull(), "usage is null until the last chunk");
      text.append(c.get("text").asText());
    }
    assertEquals(whole, text.toString());
    assertEquals("length", ev.get(ev.size() - 2).get("choices").get(0).get("finish_reason").asText());
    JsonNode last = ev.get(ev.size() - 1);
    assertEquals(0, last.get("choices").size());
    assertEquals(24, last.get("usage").get("completion_tokens").asInt());
    String id = ev.get(0).get("id").asText();
    assertTrue(ev.stream().allMatch(e -> e.get("id").asText().equals(id)), "one id per stream");

    List<JsonNode> noUsage = events(client.post("/v1/completions", completion("In the beginning", 8,
        ", \"stream\": true")).body());
    assertTrue(noUsage.stream().noneMatch(e -> e.has("usage")), "no usage without stream_options");
  }

  @Test
  void chatCompletionWholeAndStreamed() throws Exception {
    String body = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", "
        + "\"content\": [{\"type\": \"text\", \"text\": \"Who art thou?\"}]}], \"max_tokens\": 12, "
        + "\"temperature\": 0";
    Reply whole = client.post("/v1/chat/completions", body + "}");
    assertEquals(200, whole.status(), whole.body());
    JsonNode j = whole.json();
    assertEquals("chat.completion", j.get("object").asText());
    JsonNode msg = j.get("choices").get(0).get("message");
    assertEquals("assistant", msg.get("role").asText());
    assertTrue(j.get("usage").get("prompt_tokens").asInt() > 10);
    Reply streamed = client.post("/v1/chat/completions", body + ", \"stream\": true}");
    List<JsonNode> ev = events(streamed.body());
    assertEquals("chat.completion.chunk", ev.get(0).get("object").asText());
    assertEquals("assistant", ev.get(0).get("choices").get(0).get("delta").get("role").asText());
    StringBuilder text = new StringBuilder();
    for (JsonNode e : ev) {
      JsonNode d = e.get("choices").get(0).get("delta");
      if (d.has("content")) {
        text.append(d.get("content").asText());
      }
    }
    assertEquals(msg.get("content").asText(), text.toString());
    JsonNode end = ev.get(ev.size() - 1).get("choices").get(0);
    assertEquals(j.get("choices").get(0).get("finish_reason").asText(), end.get("finish_reason").asText());
  }

  @Test
  void stopStringAndSamplingParametersAreHonoured() throws Exception {
    JsonNode c = client.post("/v1/completions", completion("Once upon a time", 20, ", \"stop\": [\" morning\"]"))
        .json().get("choices").get(0);
    assertEquals(" to the first time, and to the end of the", c.get("text").asText());
    assertEquals("stop", c.get("finish_reason").asText());
    String seeded = "{\"prompt\": \"Thou shalt\", \"max_tokens\": 16, \"temperature\": 1.0, \"top_p\": 0.9, "
        + "\"top_k\": 40, \"seed\": 3}";
    String a = client.post("/v1/completions", seeded).json().get("choices").get(0).get("text").asText();
    String b = client.post("/v1/completions", seeded).json().get("choices").get(0).get("text").asText();
    assertEquals(a, b, "the same seed gives the same sample");
    String topK1 = "{\"prompt\": \"Thou shalt\", \"max_tokens\": 16, \"temperature\": 1.5, \"top_k\": 1, \"seed\": 9}";
    String greedy = client.post("/v1/completions", completion("Thou shalt", 16, "")).json().get("choices").get(0)
        .get("text").asText();
    assertEquals(greedy, client.post("/v1/completions", topK1).json().get("choices").get(0).get("text").asText(),
        "top_k 1 is greedy whatever the temperature");
  }

  @Test
  void concurrentClientsGetTheirOwnAnswers() throws Exception {
    String[] prompts = {"Once upon a time", "In the beginning", "Thou shalt", "To be, or not to be"};
    String[] alone = new String[prompts.length];
    for (int i = 0; i < prompts.length; i++) {
      alone[i] = client.post("/v1/completions", completion(prompts[i], 24, "")).json().get("choices").get(0)
          .get("text").asText();
    }
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> runs = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        String prompt = prompts[i % prompts.length];
        boolean stream = i % 2 == 1;
        runs.add(pool.submit(() -> {
          Reply r = client.post("/v1/completions", completion(prompt, 24, stream ? ", \"stream\": true" : ""));
          assertEquals(200, r.status(), r.body());
          if (!stream) {
            return r.json().get("choices").get(0).get("text").asText();
          }
          StringBuilder s = new StringBuilder();
          for (JsonNode e : events(r.body())) {
            s.append(e.get("choices").get(0).get("text").asText());
          }
          return s.toString();
        }));
      }
      for (int i = 0; i < runs.size(); i++) {
        assertEquals(alone[i % prompts.length], runs.get(i).get(), "client " + i + " under load");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void badInputGetsA4xxAndTheServerKeepsServing() throws Exception {
    assertEquals("invalid_json", assertError(client.post("/v1/completions", "{\"prompt\": "), 400)
        .get("code").asText());
    assertError(client.post("/v1/completions", "[1, 2]"), 400);
    assertError(client.post("/v1/completions", "{\"prompt\": \"x\"} trailing"), 400);
    assertEquals("max_tokens", assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": "
        + "\"ten\"}"), 400).get("param").asText());
    assertEquals("temperature", assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": "
        + "\"hot\"}"), 400).get("param").asText());
    assertEquals("stop", assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"stop\": 5}"), 400)
        .get("param").asText());
    assertEquals("prompt", assertError(client.post("/v1/completions", "{\"prompt\": {\"a\": 1}}"), 400)
        .get("param").asText());
    assertEquals("messages", assertError(client.post("/v1/chat/completions", "{\"messages\": \"hi\"}"), 400)
        .get("param").asText());
    assertError(client.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}"),
        400);
    assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -5}"), 400);
    assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 100000000000}"), 400);
    assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 1.5}"), 400);
    assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": 7}"), 400);
    assertEquals("n", assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"n\": 2}"), 400)
        .get("param").asText());
    assertError(client.post("/v1/completions", "{\"prompt\": \"x\", \"stream_options\": {\"include_usage\": true}}"),
        400);
    assertError(client.post("/v1/completions", "{\"prompt\": [1, 99999]}"), 400);
    String longPrompt = "the end of the morning ".repeat(80);
    assertEquals("context_length_exceeded", assertError(client.post("/v1/completions",
        completion(longPrompt, 4, "")), 400).get("code").asText());
    assertEquals("context_length_exceeded", assertError(client.post("/v1/completions",
        completion("Once upon a time", 255, "")), 400).get("code").asText());
    assertEquals("model_not_found", assertError(client.post("/v1/completions",
        "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), 404).get("code").asText());
    String huge = "{\"prompt\": \"" + "a".repeat(100_000) + "\"}";
    assertEquals("request_too_large", assertError(client.post("/v1/completions", huge), 413).get("code").asText());
    byte[] badUtf8 = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertEquals("invalid_encoding", assertError(client.post("/v1/completions",
        HttpRequest.BodyPublishers.ofByteArray(badUtf8)), 400).get("code").asText());
    assertError(client.post("/v1/completions", ""), 400);
    assertError(client.get("/v1/completions"), 405);
    assertError(client.get("/v1/nothing"), 404);

    Reply ok = client.post("/v1/completions", completion("Once upon a time", 8, ""));
    assertEquals(200, ok.status(), "still serving after bad input: " + ok.body());
    assertEquals(200, client.get("/health").status());
  }

  @Test
  void aBodyFarOverTheLimitStillGetsItsAnswer() throws Exception {
    // Read away before the 413 (HttpIo.DRAIN_LIMIT_BYTES). Answered while the client was still writing, a 413 and
    // the close after it reached the client once in a CI run as a failed write (rare: not reproduced on demand).
    String body = "{\"prompt\": \"" + "a".repeat(4 << 20) + "\"}";
    for (int i = 0; i < 5; i++) {
      assertEquals("request_too_large", assertError(client.post("/v1/completions", body), 413).get("code").asText(),
          "try " + i);
    }
    assertEquals(200, client.get("/health").status());
  }

  @Test
  void metricsAreInPrometheusTextFormat() throws Exception {
    client.post("/v1/completions", completion("Once upon a time", 8, ""));
    Reply m = client.get("/metrics");
    assertEquals(200, m.status());
    String text = m.body();
    for (String name : new String[] {"sparsej_prompt_tokens_total", "sparsej_generated_tokens_total",
        "sparsej_requests_running", "sparsej_requests_queued", "sparsej_slots 4", "sparsej_slots_in_use",
        "sparsej_time_to_first_token_seconds_bucket", "sparsej_time_per_output_token_seconds_count",
        "sparsej_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"}) {
      assertTrue(text.contains(name), name + " missing from /metrics:\n" + text);
    }
    assertTrue(text.contains("# TYPE sparsej_time_to_first_token_seconds histogram"), text);
    double generated = value(text, "sparsej_generated_tokens_total");
    assertTrue(generated >= 8, "generated tokens counted: " + generated);
    assertFalse(text.contains("NaN"), text);
  }

  @Test
  void perTokenLatencyObservesEveryGapBetweenTokens() throws Exception {
    String gaps = "sparsej_time_per_output_token_seconds_count";
    String sum = "sparsej_time_per_output_token_seconds_sum";
    client.post("/v1/completions", completion("Once", 2, ""));  // the histogram exists from its first observation
    String before = client.get("/metrics").body();
    Reply r = client.post("/v1/completions", completion("Once upon a time", 20, ""));
    int tokens = r.json().get("usage").get("completion_tokens").asInt();
    String after = client.get("/metrics").body();
    assertEquals(20, tokens, r.body());
    assertEquals(tokens - 1, value(after, gaps) - value(before, gaps), 0.0, "one observation per gap:\n" + after);
    double seconds = value(after, sum) - value(before, sum);
    assertTrue(seconds > 0 && seconds < 60, "gaps add up to the decode time: " + seconds);
  }

  static double value(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(
        l.substring(name.length() + 1).trim())).findFirst().orElseThrow(() -> new AssertionError(name));
  }
}
