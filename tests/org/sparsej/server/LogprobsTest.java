package org.sparsej.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparsej.server.ServerClient.assertError;
import static org.sparsej.server.ServerClient.events;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;
import org.sparsej.server.ServerClient.Reply;
import org.sparsej.testing.SharedData;

/**
 * OpenAI logprobs on sj-7m, whole and streamed, for completions and chat: the shapes, and values equal to the
 * log-softmax of the model's logits as {@link Model#score} computes it over the whole vocabulary from a prefill of
 * prompt + generated tokens (a separate path through the engine).
 */
class LogprobsTest {
  private static final String PROMPT = "Once upon a time";
  // The engine gives a row the same logits prefilled or decoded (batch invariance), and both sides take the
  // log-softmax in double: they agree to rounding (equal bit for bit on the CPU backends when written).
  private static final double TOLERANCE = 1e-6;
  private static Model model;
  private static OpenAiServer server;
  private static ServerClient client;

  @BeforeAll
  static void start() {
    model = Model.load(SharedData.sj7m(), ModelOptions.defaults().withThreads(2).withSlots(2));
    server = new OpenAiServer(OpenAiServer.Options.defaults().withPort(0));
    server.start();
    server.ready(model, null);
    client = new ServerClient(server.port());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** log p(generated[j] | BOS, prompt, generated[..j]) for each j, by scoring the whole sequence. */
  private static double[] scored(int[] prompt, int[] generated) {
    int[] ids = new int[prompt.length + generated.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(generated, 0, ids, prompt.length, generated.length);
    double[] all = model.score(ids, model.contextLength(), model.contextLength() - 1, null).tokenLogprobs();
    assertEquals(ids.length, all.length, "score predicts every id after BOS");
    return java.util.Arrays.copyOfRange(all, prompt.length, ids.length);
  }

  private static int[] plus(int[] a, int b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = b;
    return out;
  }

  private static String text(int id) {
    return new String(model.tokenBytes(id), StandardCharsets.UTF_8);
  }

  @Test
  void completionLogprobsAreTheModelsLogSoftmaxGreedyPicksTheTopOne() throws Exception {
    int n = 12;
    String body = "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": " + n + ", \"temperature\": 0, "
        + "\"ignore_eos\": true, \"logprobs\": 3";
    Reply r = client.post("/v1/completions", body + "}");
    assertEquals(200, r.status(), r.body());
    JsonNode choice = r.json().get("choices").get(0);
    JsonNode lp = choice.get("logprobs");
    JsonNode tokens = lp.get("tokens");
    JsonNode values = lp.get("token_logprobs");
    JsonNode tops = lp.get("top_logprobs");
    JsonNode offsets = lp.get("text_offset");
    assertEquals(n, tokens.size());
    assertEquals(n, values.size());
    assertEquals(n, tops.size());
    assertEquals(n, offsets.size());

    // The same greedy tokens through the API give the ids to score.
    Completion c = model.generate(PROMPT, GenerationOptions.greedy().withMaxTokens(n).withIgnoreEos(true));
    int[] prompt = model.tokenize(PROMPT);
    double[] ref = scored(prompt, c.tokens());
    StringBuilder joined = new StringBuilder();
    for (int j = 0; j < n; j++) {
      assertEquals(text(c.tokens()[j]), tokens.get(j).asText());
      assertEquals(joined.length(), offsets.get(j).asInt(), "text_offset of token " + j);
      joined.append(tokens.get(j).asText());
      double v = values.get(j).asDouble();
      assertEquals(ref[j], v, TOLERANCE, "token " + j);
      assertTrue(v < 0, "a probability below 1 at " + j);
      assertEquals(3, tops.get(j).size(), tops.get(j).toString());
      // Greedy: the chosen token is the most likely one, listed first with the same value.
      Iterator<Map.Entry<String, JsonNode>> it = tops.get(j).properties().iterator();
      Map.Entry<String, JsonNode> first = it.next();
      assertEquals(tokens.get(j).asText(), first.getKey());
      assertEquals(v, first.getValue().asDouble(), 0.0);
      double prev = v;
      double mass = Math.exp(v);
      while (it.hasNext()) {
        double alt = it.next().getValue().asDouble();
        assertTrue(alt <= prev, "largest first at " + j);
        prev = alt;
        mass += Math.exp(alt);
      }
      assertTrue(mass <= 1 + 1e-6, "the top 3 hold at most all the mass: " + mass);
    }
    assertEquals(choice.get("text").asText(), joined.toString());

    // The alternatives are the model's log-softmax too: their ids from the API's top logits, then the prefix
    // followed by each of them scored.
    Completion withTop = model.generate(PROMPT, GenerationOptions.greedy().withMaxTokens(3).withIgnoreEos(true)
        .withTopLogits(3));
    for (int j = 0; j < 3; j++) {
      int[] prefix = java.util.Arrays.copyOf(c.tokens(), j);
      int[] ids = withTop.topLogits().get(j).ids();
      Iterator<Map.Entry<String, JsonNode>> it = tops.get(j).properties().iterator();
      for (int i = 0; i < 3; i++) {
        Map.Entry<String, JsonNode> alt = it.next();
        assertEquals(text(ids[i]), alt.getKey(), "alternative " + i + " at " + j);
        double[] sc = scored(prompt, plus(prefix, ids[i]));
        assertEquals(sc[j], alt.getValue().asDouble(), TOLERANCE, "alternative '" + alt.getKey() + "' at " + j);
      }
    }

    // Streamed: the chunks' lists join to the same lists, text_offset running on across chunks.
    List<JsonNode> ev = events(client.post("/v1/completions", body + ", \"stream\": true}").body());
    List<String> sTokens = new ArrayList<>();
    List<Double> sValues = new ArrayList<>();
    List<Integer> sOffsets = new ArrayList<>();
    for (JsonNode e : ev) {
      JsonNode l = e.get("choices").get(0).get("logprobs");
      if (l.isNull()) {
        assertTrue(e.get("choices").get(0).get("finish_reason").isTextual(), "only the finish chunk has none");
        continue;
      }
      assertEquals(l.get("tokens").size(), l.get("top_logprobs").size());
      l.get("tokens").forEach(t -> sTokens.add(t.asText()));
      l.get("token_logprobs").forEach(t -> sValues.add(t.asDouble()));
      l.get("text_offset").forEach(t -> sOffsets.add(t.asInt()));
    }
    List<String> wTokens = new ArrayList<>();
    List<Double> wValues = new ArrayList<>();
    List<Integer> wOffsets = new ArrayList<>();
    tokens.forEach(t -> wTokens.add(t.asText()));
    values.forEach(t -> wValues.add(t.asDouble()));
    offsets.forEach(t -> wOffsets.add(t.asInt()));
    assertEquals(wTokens, sTokens);
    assertEquals(wValues, sValues);
    assertEquals(wOffsets, sOffsets);
  }

  @Test
  void tokensHeldBackByAStopStringStillJoinTheStreamsList() throws Exception {
    // " the end" ends it: text that could start the stop string waits, its tokens' entries wait with it.
    String body = "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 20, \"temperature\": 0, "
        + "\"stop\": [\" the end\"], \"logprobs\": 2";
    JsonNode whole = client.post("/v1/completions", body + "}").json();
    JsonNode choice = whole.get("choices").get(0);
    assertEquals("stop", choice.get("finish_reason").asText());
    List<String> tokens = new ArrayList<>();
    choice.get("logprobs").get("tokens").forEach(t -> tokens.add(t.asText()));
    assertEquals(whole.get("usage").get("completion_tokens").asInt(), tokens.size(), "every generated token");
    String joined = String.join("", tokens);
    assertTrue(joined.startsWith(choice.get("text").asText()) && joined.contains(" the end"), joined);
    List<String> streamed = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    boolean heldBack = false;
    for (JsonNode e : events(client.post("/v1/completions", body + ", \"stream\": true}").body())) {
      JsonNode c = e.get("choices").get(0);
      text.append(c.get("text").asText());
      if (!c.get("logprobs").isNull()) {
        JsonNode t = c.get("logprobs").get("tokens");
        t.forEach(x -> streamed.add(x.asText()));
        heldBack |= t.size() > 1;
      }
    }
    assertEquals(tokens, streamed);
    assertEquals(choice.get("text").asText(), text.toString());
    assertTrue(heldBack, "some chunk carried more than one token (text held back for the stop string)");
  }

  @Test
  void sampledTokensReportTheRawDistributionNotTheTemperaturesOne() throws Exception {
    // Temperature, top-k and a repeat penalty change what is drawn, not the reported values (vLLM's default).
    String body = "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 10, \"temperature\": 1.7, \"top_k\": 50, "
        + "\"repetition_penalty\": 1.3, \"seed\": 11, \"ignore_eos\": true, \"logprobs\": 1}";
    JsonNode lp = client.post("/v1/completions", body).json().get("choices").get(0).get("logprobs");
    Completion c = model.generate(PROMPT, GenerationOptions.defaults().withMaxTokens(10).withTemperature(1.7f)
        .withTopK(50).withRepeatPenalty(1.3f, 64).withSeed(11L).withIgnoreEos(true));
    double[] ref = scored(model.tokenize(PROMPT), c.tokens());
    boolean offTop = false;
    for (int j = 0; j < 10; j++) {
      assertEquals(text(c.tokens()[j]), lp.get("tokens").get(j).asText(), "the same seeded draw");
      double v = lp.get("token_logprobs").get(j).asDouble();
      assertEquals(ref[j], v, TOLERANCE, "token " + j);
      double top = lp.get("top_logprobs").get(j).elements().next().asDouble();
      assertTrue(v <= top);
      offTop |= v < top;
    }
    assertTrue(offTop, "at 1.7 some drawn token was not the most likely one (else the test shows nothing)");
  }

  @Test
  void chatLogprobsWholeAndStreamedAreOneList() throws Exception {
    String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Who art thou?\"}], \"max_tokens\": 10, "
        + "\"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 4";
    Reply r = client.post("/v1/chat/completions", body + "}");
    assertEquals(200, r.status(), r.body());
    JsonNode j = r.json();
    JsonNode content = j.get("choices").get(0).get("logprobs").get("content");
    assertEquals(j.get("usage").get("completion_tokens").asInt(), content.size(), "one entry per token");
    StringBuilder text = new StringBuilder();
    for (JsonNode e : content) {
      String token = e.get("token").asText();
      byte[] bytes = new byte[e.get("bytes").size()];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) e.get("bytes").get(i).asInt();
      }
      assertEquals(token, new String(bytes, StandardCharsets.UTF_8), "bytes spell the token");
      JsonNode top = e.get("top_logprobs");
      assertEquals(4, top.size());
      assertEquals(token, top.get(0).get("token").asText(), "greedy: the top one");
      assertEquals(e.get("logprob").asDouble(), top.get(0).get("logprob").asDouble(), 0.0);
      for (int i = 1; i < 4; i++) {
        assertTrue(top.get(i).get("logprob").asDouble() <= top.get(i - 1).get("logprob").asDouble());
        assertTrue(top.get(i).get("bytes").isArray());
      }
      if (!"stop".equals(j.get("choices").get(0).get("finish_reason").asText()) || e != content.get(
          content.size() - 1)) {
        text.append(token);  // all but a final end-of-sequence token, which has no text
      }
    }
    assertEquals(j.get("choices").get(0).get("message").get("content").asText(), text.toString());

    List<JsonNode> streamed = new ArrayList<>();
    for (JsonNode e : events(client.post("/v1/chat/completions", body + ", \"stream\": true}").body())) {
      JsonNode l = e.get("choices").get(0).get("logprobs");
      JsonNode delta = e.get("choices").get(0).get("delta");
      if (l.isNull()) {
        assertTrue(delta.has("role") || !delta.has("content"), "only the role and finish chunks lack logprobs");
        continue;
      }
      l.get("content").forEach(streamed::add);
    }
    assertEquals(content.size(), streamed.size());
    for (int i = 0; i < content.size(); i++) {
      assertEquals(content.get(i), streamed.get(i), "entry " + i);
    }

    // top_logprobs 0: each token's own logprob, no alternatives; no logprobs asked: null.
    JsonNode zero = client.post("/v1/chat/completions", body.replace("\"top_logprobs\": 4", "\"top_logprobs\": 0")
        + "}").json().get("choices").get(0).get("logprobs").get("content");
    assertEquals(content.size(), zero.size());
    assertEquals(content.get(0).get("logprob"), zero.get(0).get("logprob"));
    assertEquals(0, zero.get(0).get("top_logprobs").size());
    assertTrue(client.post("/v1/chat/completions", body.replace(", \"logprobs\": true, \"top_logprobs\": 4", "")
        + "}").json().get("choices").get(0).get("logprobs").isNull());
  }

  @Test
  void outOfRangeLogprobsAreA400NamingTheField() throws Exception {
    String chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2, ";
    String[][] bad = {
        {"/v1/chat/completions", chat + "\"logprobs\": true, \"top_logprobs\": 21}", "top_logprobs"},
        {"/v1/chat/completions", chat + "\"logprobs\": true, \"top_logprobs\": -1}", "top_logprobs"},
        {"/v1/chat/completions", chat + "\"top_logprobs\": 2}", "top_logprobs"},
        {"/v1/chat/completions", chat + "\"logprobs\": 3}", "logprobs"},
        {"/v1/completions", "{\"prompt\": \"x\", \"logprobs\": 6}", "logprobs"},
        {"/v1/completions", "{\"prompt\": \"x\", \"logprobs\": -1}", "logprobs"},
        {"/v1/completions", "{\"prompt\": \"x\", \"logprobs\": true}", "logprobs"}};
    for (String[] b : bad) {
      JsonNode e = assertError(client.post(b[0], b[1]), 400);
      assertEquals(b[2], e.get("param").asText(), b[1]);
    }
    Reply off = client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2, \"logprobs\": false}");
    assertEquals(200, off.status(), off.body());
    assertTrue(off.json().get("choices").get(0).get("logprobs").isNull());
    assertArrayEquals(new int[] {200, 200}, new int[] {
        client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2, \"logprobs\": 0}").status(),
        client.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2, \"logprobs\": 5}").status()});
  }
}
