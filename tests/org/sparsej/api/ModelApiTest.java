package org.sparsej.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import org.sparsej.eval.Perplexity;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.testing.SharedData;

/** The public API on sj-7m: generation against the reference ids, streaming, chat, scoring, concurrency. */
class ModelApiTest {
  private static Model model;
  private static JsonNode reference;

  @BeforeAll
  static void load() {
    model = Model.load(SharedData.sj7m(), ModelOptions.defaults().withThreads(2).withSlots(4));
    reference = SharedData.json("reference/sj-7m-greedy.json").get("cases").get(0);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static GenerationOptions greedy(int n) {
    return GenerationOptions.greedy().withMaxTokens(n);
  }

  @Test
  void greedyGenerationGivesTheReferenceIds() {
    Completion c = model.generate(reference.get("prompt").asText(), greedy(20));
    int[] expected = Arrays.copyOf(SharedData.ints(reference.get("greedy_ids")), 20);
    assertArrayEquals(expected, c.tokens());
    assertEquals(SharedData.ints(reference.get("prompt_ids")).length, c.promptTokens());
    assertEquals(FinishReason.LENGTH, c.finishReason());
    assertTrue(c.text().startsWith(" to the first time, and to the end of the morning"), c.text());
    assertEquals(model.detokenize(c.tokens()).strip(), c.text().strip());
    assertTrue(c.timeToFirstToken().compareTo(c.totalTime()) <= 0);
    // One gap per pair of consecutive tokens, together within the time from the first token to the end.
    assertEquals(19, c.tokenGaps().size());
    java.time.Duration gaps = c.tokenGaps().stream().reduce(java.time.Duration.ZERO, java.time.Duration::plus);
    assertTrue(c.tokenGaps().stream().noneMatch(java.time.Duration::isNegative), c.tokenGaps().toString());
    assertTrue(gaps.compareTo(c.totalTime().minus(c.timeToFirstToken())) <= 0, gaps + " vs " + c.totalTime());
  }

  @Test
  void callbackIteratorAndStreamGiveTheSameText() {
    String whole = model.generate("In the beginning", greedy(30)).text();
    StringBuilder byCallback = new StringBuilder();
    List<String> chunks = new ArrayList<>();
    Completion c = model.generate("In the beginning", greedy(30), s -> {
      byCallback.append(s);
      chunks.add(s);
    });
    assertEquals(whole, byCallback.toString());
    assertEquals(whole, c.text());
    assertTrue(chunks.size() > 5, "streamed in pieces: " + chunks);
    StringBuilder byIterator = new StringBuilder();
    try (Generation g = model.start("In the beginning", greedy(30))) {
      for (String s : g) {
        byIterator.append(s);
      }
      assertEquals(whole, g.await().text());
    }
    assertEquals(whole, byIterator.toString());
    try (Stream<String> s = model.stream("In the beginning", greedy(30))) {
      assertEquals(whole, s.collect(Collectors.joining()));
    }
  }

  @Test
  void stopStringEndsTheTextBeforeIt() {
    String whole = model.generate("Once upon a time", greedy(20)).text();
    int at = whole.indexOf(" morning");
    assertTrue(at > 0, whole);
    List<String> chunks = new ArrayList<>();
    Completion c = model.generate("Once upon a time", greedy(20).withStop(List.of(" morning", "zzz")),
        chunks::add);
    assertEquals(whole.substring(0, at), c.text());
    assertEquals(FinishReason.STOP, c.finishReason());
    assertEquals(c.text(), String.join("", chunks));
    assertTrue(c.completionTokens() < 20);
  }

  @Test
  void chatUsesTheTemplateAndStreamsTheSameAnswer() {
    List<ChatMessage> messages = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Who art thou?"));
    assertEquals("llama2", model.chatTemplate());
    Completion whole = model.chat(messages, greedy(16));
    StringBuilder streamed = new StringBuilder();
    Completion c = model.chat(messages, greedy(16), streamed::append);
    assertEquals(whole.text(), streamed.toString());
    assertEquals(model.chatTokens(messages).length, c.promptTokens());
    int[] prompt = model.chatTokens(messages);
    assertEquals(1, prompt[0], "llama2 chat starts with BOS");
    assertTrue(model.detokenize(prompt).contains("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWho art thou? [/INST]"),
        model.detokenize(prompt));
  }

  @Test
  void scoreMatchesThePerplexityOfEvalPpl() throws Exception {
    String text = Files.readString(SharedData.path("data/sj-corpus/eval-shakespeare.txt"));
    int[] ids = Arrays.copyOf(model.tokenize(text), 400);
    Score api = model.score(ids, 256, 255, null);
    assertEquals(400, api.tokens());
    LlamaModel m = ModelLoader.load(SharedData.sj7m());
    try (Backend backend = Backends.open("cpu", 2, line -> { })) {
      Perplexity.Result ref = new Perplexity(m, backend, 256, 255).evaluate(ids, 1, null);
      assertEquals(ref.tokens(), api.tokens());
      assertEquals(ref.ppl(), api.perplexity(), ref.ppl() * 1e-4, "API score vs eval/Perplexity");
    }
    // Overlapping windows predict each id once, with more context: a different, still finite score.
    Score strided = model.score(ids, 128, 64, null);
    assertEquals(400, strided.tokens());
    assertTrue(Double.isFinite(strided.perplexity()) && strided.perplexity() != api.perplexity());
    Score shortText = model.score("To be, or not to be");
    assertEquals(model.tokenize("To be, or not to be").length, shortText.tokens());
    assertTrue(shortText.logLikelihood() < 0);
  }

  @Test
  void tokenizeAndDetokenizeRoundTrip() {
    String text = "Thou shalt not pass, héllo.";
    int[] ids = model.tokenize(text);
    assertEquals(text, model.detokenize(ids));
    assertEquals(1, model.tokenize(text, true)[0]);
    assertEquals(ids.length + 1, model.tokenize(text, true).length);
  }

  @Test
  void manyThreadsGetIndependentAnswers() throws Exception {
    String[] prompts = {"Once upon a time", "In the beginning", "Thou shalt", "The meaning of life is"};
    String[] alone = new String[prompts.length];
    for (int i = 0; i < prompts.length; i++) {
      alone[i] = model.generate(prompts[i], greedy(24)).text();
    }
    String seeded = model.generate("Thou shalt", greedy(24).withTemperature(1f).withSeed(11L)).text();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> greedyRuns = new ArrayList<>();
      List<Future<String>> seededRuns = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String prompt = prompts[i % prompts.length];
        greedyRuns.add(pool.submit(() -> model.generate(prompt, greedy(24)).text()));
        seededRuns.add(pool.submit(() -> model.generate("Thou shalt",
            greedy(24).withTemperature(1f).withSeed(11L)).text()));
      }
      for (int i = 0; i < 8; i++) {
        assertEquals(alone[i % prompts.length], greedyRuns.get(i).get(), "greedy under load, client " + i);
        assertEquals(seeded, seededRuns.get(i).get(), "seeded sampling under load, client " + i);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void cancelEndsAGenerationEarly() {
    try (Generation g = model.start("Once upon a time", GenerationOptions.greedy())) {
      assertTrue(g.nextText() != null);
      g.cancel();
      Completion c = g.await();
      assertEquals(FinishReason.CANCELLED, c.finishReason());
      assertTrue(c.completionTokens() < 250, "cancelled after " + c.completionTokens());
    }
  }

  @Test
  void badRequestsAreRefusedWithTheirKind() {
    ModelException t = assertThrows(ModelException.class,
        () -> model.generate("x", greedy(4).withTemperature(-1f)));
    assertEquals(ModelException.Kind.INVALID_REQUEST, t.kind());
    assertTrue(t.getMessage().contains("temperature"));
    assertEquals(ModelException.Kind.INVALID_REQUEST, assertThrows(ModelException.class,
        () -> model.generate("x", greedy(4).withTopP(0f))).kind());
    ModelException ctx = assertThrows(ModelException.class, () -> model.generate("x", greedy(1000)));
    assertEquals(ModelException.Kind.CONTEXT_EXCEEDED, ctx.kind());
    assertTrue(ctx.getMessage().contains("context of 256"), ctx.getMessage());
    String longPrompt = "the end of the morning ".repeat(80);
    assertEquals(ModelException.Kind.CONTEXT_EXCEEDED, assertThrows(ModelException.class,
        () -> model.generate(longPrompt, greedy(4))).kind());
    assertEquals(ModelException.Kind.INVALID_REQUEST, assertThrows(ModelException.class,
        () -> model.start(new int[] {1, 99999}, greedy(4))).kind());
    assertEquals(ModelException.Kind.LOAD, assertThrows(ModelException.class,
        () -> Model.load(SharedData.ROOT.resolve("no-such-model.bin"))).kind());
  }

  @Test
  void aClosedModelRefusesRequests() {
    Model other = Model.load(SharedData.sj7m(), ModelOptions.defaults().withThreads(1).withSlots(1));
    other.close();
    assertThrows(ModelException.class, () -> other.generate("x", greedy(2)));
  }
}
