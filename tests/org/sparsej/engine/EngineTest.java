package org.sparsej.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.generate.Generator;
import org.sparsej.generate.Sampler;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.KvCachePool;
import org.sparsej.model.Llama2cCheckpoint;
import org.sparsej.model.LlamaModel;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;

/**
 * The engine on sj-7m: batched sequences give exactly what each gives alone (greedy and seeded sampling, java and
 * cpu backends, prompts split into chunks that share passes with other sequences' decode steps), prompt logprobs
 * equal the single-sequence logits, and the scheduler frees, waits, refuses and serves many threads as promised.
 */
class EngineTest {
  private static final LlamaModel MODEL = Llama2cCheckpoint.load(SharedData.sj7m());
  private static final int VOCAB = MODEL.config().vocabSize();
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    cpu = new CpuBackend(2);
  }

  @AfterAll
  static void close() {
    cpu.close();
  }

  static Stream<String> backends() {
    return Stream.of("java", "cpu");
  }

  private static Backend backend(String name) {
    return name.equals("java") ? new JavaBackend(2) : new CpuBackend(2);
  }

  private static int[] prompt(long seed, int length) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] p = new int[length];
    p[0] = 1;  // BOS
    for (int i = 1; i < length; i++) {
      p[i] = 3 + r.nextInt(VOCAB - 3);
    }
    return p;
  }

  /** What one sequence gives on its own, through InferenceSession (the CLI's generate path). */
  private static int[] alone(Backend backend, int[] prompt, int steps, Sampler sampler) {
    InferenceSession session = MODEL.newSession(backend, 16);
    return new Generator(session, null).generate(prompt, steps, sampler, false, (p, t) -> { }).generatedTokens();
  }

  @ParameterizedTest
  @MethodSource("backends")
  void batchedSequencesEqualEachAlone(String backendName) throws Exception {
    try (Backend backend = backend(backendName)) {
      int count = 6;
      int steps = 20;
      List<int[]> prompts = new ArrayList<>();
      List<SamplingParams> sampling = new ArrayList<>();
      List<int[]> expected = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        prompts.add(prompt(100 + i, 3 + 7 * i));
        // Half greedy, half seeded sampling: each sequence's random draws are its own.
        SamplingParams p = i % 2 == 0 ? SamplingParams.greedy() : new SamplingParams(0.9f, 0.9f, 20, 7 + i);
        sampling.add(p);
        expected.add(alone(backend, prompts.get(i), steps, new Sampler(p.temperature(), p.topP(), p.topK(), p.seed())));
      }
      // A token budget of 7 splits prompts into chunks that share passes with other sequences' decode steps.
      try (Engine engine = new Engine(MODEL, backend, new EngineOptions(4, 7, 0, 16))) {
        List<CompletableFuture<SequenceResult>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          SequenceRequest r = new SequenceRequest(prompts.get(i), steps, sampling.get(i), new int[0], false);
          results.add(engine.submit(r, SequenceListener.ignoring()).completion());
        }
        for (int i = 0; i < count; i++) {
          SequenceResult r = results.get(i).get(60, TimeUnit.SECONDS);
          assertArrayEquals(expected.get(i), r.generated(), backendName + " sequence " + i);
          assertEquals(FinishReason.LENGTH, r.finishReason());
          assertTrue(r.firstTokenNanos() > 0 && r.totalNanos() >= r.firstTokenNanos());
        }
        EngineStats stats = engine.stats();
        assertEquals(0, stats.running());
        assertEquals(0, stats.kvBytesInUse());
        assertEquals((long) count * steps, stats.generatedTokensTotal());
        assertEquals(prompts.stream().mapToLong(p -> p.length).sum(), stats.promptTokensTotal());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void promptLogprobsEqualSessionLogits(String backendName) throws Exception {
    try (Backend backend = backend(backendName)) {
      int[] a = prompt(7, 30);
      int[] b = prompt(8, 11);
      try (Engine engine = new Engine(MODEL, backend, new EngineOptions(2, 16, 0, 4))) {
        SequenceHandle ha = engine.submit(new SequenceRequest(a, 0, SamplingParams.greedy(), null, true),
            SequenceListener.ignoring());
        SequenceHandle hb = engine.submit(new SequenceRequest(b, 5, SamplingParams.greedy(), null, true),
            SequenceListener.ignoring());
        for (Object[] c : new Object[][] {{a, ha}, {b, hb}}) {
          int[] p = (int[]) c[0];
          SequenceResult r = ((SequenceHandle) c[1]).completion().get(60, TimeUnit.SECONDS);
          assertEquals(p.length - 1, r.promptLogprobs().length);
          InferenceSession session = MODEL.newSession(backend, 64);
          Tensor logits = session.forward(p, p.length, true);
          float[] row = new float[VOCAB];
          for (int i = 0; i < p.length - 1; i++) {
            logits.view((long) i * VOCAB, VOCAB).floats().get(row);
            assertEquals(PassRunner.logProb(row, VOCAB, p[i + 1]), r.promptLogprobs()[i], 0.0,
                backendName + " position " + i);
            assertTrue(r.promptLogprobs()[i] < 0);
          }
        }
        assertEquals(0, ha.completion().get().generated().length);
        assertEquals(FinishReason.LENGTH, ha.completion().get().finishReason());
      }
    }
  }

  @Test
  void cancelFreesSlotAndPages() throws Exception {
    try (Engine engine = new Engine(MODEL, cpu, new EngineOptions(1, 32, 0, 4))) {
      CountDownLatch started = new CountDownLatch(3);
      AtomicInteger tokens = new AtomicInteger();
      SequenceHandle h = engine.submit(SequenceRequest.greedy(prompt(1, 5), 200), new Counting(tokens, started));
      assertTrue(started.await(30, TimeUnit.SECONDS));
      assertTrue(engine.stats().kvBytesInUse() > 0);
      h.cancel();
      h.cancel();  // idempotent
      SequenceResult r = h.completion().get(30, TimeUnit.SECONDS);
      assertEquals(FinishReason.CANCELLED, r.finishReason());
      assertTrue(r.generated().length < 200);
      assertEquals(0, engine.stats().kvBytesInUse());
      assertEquals(0, engine.stats().running());
      // The slot is free again: the next request runs to the end.
      SequenceResult next = engine.submit(SequenceRequest.greedy(prompt(2, 5), 4), SequenceListener.ignoring())
          .completion().get(30, TimeUnit.SECONDS);
      assertEquals(4, next.generated().length);
    }
  }

  @Test
  void stopTokenAndListenerEndTheSequence() throws Exception {
    try (Engine engine = new Engine(MODEL, cpu, EngineOptions.defaults())) {
      int[] p = prompt(3, 6);
      int[] greedy = alone(cpu, p, 10, Sampler.greedy());
      // Stop at the 4th greedy token: it is emitted, then the sequence ends.
      SequenceRequest stop = new SequenceRequest(p, 10, SamplingParams.greedy(), new int[] {greedy[3]}, false);
      SequenceResult r = engine.submit(stop, SequenceListener.ignoring()).completion().get(30, TimeUnit.SECONDS);
      int first = 0;
      while (greedy[first] != greedy[3]) {
        first++;
      }
      assertArrayEquals(java.util.Arrays.copyOf(greedy, first + 1), r.generated());
      assertEquals(FinishReason.STOP, r.finishReason());
      // A listener that says "enough" after two tokens.
      AtomicInteger seen = new AtomicInteger();
      SequenceListener two = new SequenceListener() {
        @Override
        public boolean onToken(int token) {
          return seen.incrementAndGet() < 2;
        }

        @Override
        public void onFinished(SequenceResult result) {}

        @Override
        public void onError(RuntimeException error) {}
      };
      SequenceResult s = engine.submit(SequenceRequest.greedy(p, 10), two).completion().get(30, TimeUnit.SECONDS);
      assertEquals(2, s.generated().length);
      assertEquals(FinishReason.STOP, s.finishReason());
      assertNull(s.promptLogprobs());
    }
  }

  @Test
  void overBudgetRequestsWaitAndImpossibleOnesAreRefused() throws Exception {
    int[] p = prompt(4, 10);
    int steps = 30;
    long oneSequence = KvCachePool.sequenceBytes(MODEL.config(), p.length + steps - 1);
    try (Engine engine = new Engine(MODEL, cpu, new EngineOptions(4, 32, oneSequence, 8))) {
      AtomicInteger maxRunning = new AtomicInteger();
      List<CompletableFuture<SequenceResult>> results = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        results.add(engine.submit(SequenceRequest.greedy(p, steps), new SequenceListener() {
          @Override
          public boolean onToken(int token) {
            maxRunning.accumulateAndGet(engine.stats().running(), Math::max);
            return true;
          }

          @Override
          public void onFinished(SequenceResult result) {}

          @Override
          public void onError(RuntimeException error) {}
        }).completion());
      }
      int[] first = results.get(0).get(60, TimeUnit.SECONDS).generated();
      for (CompletableFuture<SequenceResult> r : results) {
        assertArrayEquals(first, r.get(60, TimeUnit.SECONDS).generated());
      }
      assertEquals(1, maxRunning.get(), "the budget holds one sequence at a time");
      assertTrue(results.get(2).get().queuedNanos() > results.get(0).get().totalNanos() / 2);

      EngineRefusedException tooBig = assertThrows(EngineRefusedException.class,
          () -> engine.submit(SequenceRequest.greedy(p, steps + 40), SequenceListener.ignoring()));
      assertFalse(tooBig.queueFull());
      assertTrue(tooBig.getMessage().contains("budget"), tooBig.getMessage());
      assertFalse(tooBig.getMessage().contains("\n"));
    }
  }

  @Test
  void badRequestsAndAFullQueueAreRefused() {
    try (Engine engine = new Engine(MODEL, cpu, new EngineOptions(1, 32, 0, 1))) {
      int ctx = MODEL.config().seqLen();
      Object[][] bad = {
          {SequenceRequest.greedy(new int[0], 4), "no tokens"},
          {SequenceRequest.greedy(prompt(5, 10), ctx), "context"},
          {SequenceRequest.greedy(prompt(5, 10), -1), "max new tokens"},
          {SequenceRequest.greedy(new int[] {1, VOCAB}, 4), "vocabulary"},
          {new SequenceRequest(prompt(5, 4), 4, new SamplingParams(-1f, 1f, 0, 0), null, false), "temperature"},
          {new SequenceRequest(prompt(5, 4), 4, new SamplingParams(1f, 0f, 0, 0), null, false), "top_p"},
          {new SequenceRequest(prompt(5, 4), 4, new SamplingParams(1f, 1f, -2, 0), null, false), "top_k"},
      };
      for (Object[] b : bad) {
        EngineRefusedException e = assertThrows(EngineRefusedException.class,
            () -> engine.submit((SequenceRequest) b[0], SequenceListener.ignoring()));
        assertTrue(e.getMessage().contains((String) b[1]), e.getMessage());
        assertFalse(e.queueFull());
      }
      // One slot and one queued place: the third long request is refused as queue-full, the first two finish.
      SequenceHandle h1 = engine.submit(SequenceRequest.greedy(prompt(6, 4), 100), SequenceListener.ignoring());
      SequenceHandle h2 = engine.submit(SequenceRequest.greedy(prompt(7, 4), 2), SequenceListener.ignoring());
      EngineRefusedException full = assertThrows(EngineRefusedException.class,
          () -> engine.submit(SequenceRequest.greedy(prompt(8, 4), 2), SequenceListener.ignoring()));
      assertTrue(full.queueFull());
      h1.cancel();
      assertEquals(2, h2.completion().join().generated().length);
    }
  }

  @Test
  void manyThreadsSubmitAtOnce() throws Exception {
    int distinct = 4;
    int steps = 12;
    int[][] prompts = new int[distinct][];
    int[][] expected = new int[distinct][];
    for (int i = 0; i < distinct; i++) {
      prompts[i] = prompt(40 + i, 4 + 5 * i);
      expected[i] = alone(cpu, prompts[i], steps, Sampler.greedy());
    }
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try (Engine engine = new Engine(MODEL, cpu, new EngineOptions(8, 64, 0, 64))) {
      List<Future<Boolean>> checks = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        checks.add(clients.submit(() -> {
          for (int j = 0; j < 4; j++) {
            int which = (thread + j) % distinct;
            SequenceResult r = engine.submit(SequenceRequest.greedy(prompts[which], steps),
                SequenceListener.ignoring()).completion().get(60, TimeUnit.SECONDS);
            assertArrayEquals(expected[which], r.generated(), "thread " + thread + " request " + j);
          }
          return true;
        }));
      }
      for (Future<Boolean> c : checks) {
        assertTrue(c.get(120, TimeUnit.SECONDS));
      }
      assertEquals(0, engine.stats().kvBytesInUse());
      assertEquals(32L * steps, engine.stats().generatedTokensTotal());
    } finally {
      clients.shutdown();
    }
  }

  @Test
  void closeCancelsWhatIsLeft() throws Exception {
    Engine engine = new Engine(MODEL, cpu, new EngineOptions(1, 32, 0, 4));
    CountDownLatch started = new CountDownLatch(1);
    SequenceHandle running = engine.submit(SequenceRequest.greedy(prompt(9, 4), 200),
        new Counting(new AtomicInteger(), started));
    SequenceHandle queued = engine.submit(SequenceRequest.greedy(prompt(10, 4), 200), SequenceListener.ignoring());
    assertTrue(started.await(30, TimeUnit.SECONDS));
    engine.close();
    assertEquals(FinishReason.CANCELLED, running.completion().get(10, TimeUnit.SECONDS).finishReason());
    assertEquals(FinishReason.CANCELLED, queued.completion().get(10, TimeUnit.SECONDS).finishReason());
    assertEquals(0, engine.stats().kvBytesInUse());
    assertThrows(EngineRefusedException.class,
        () -> engine.submit(SequenceRequest.greedy(prompt(11, 4), 2), SequenceListener.ignoring()));
  }

  /** Counts tokens and opens a latch as they come. */
  private record Counting(AtomicInteger tokens, CountDownLatch latch) implements SequenceListener {
    @Override
    public boolean onToken(int token) {
      tokens.incrementAndGet();
      latch.countDown();
      return true;
    }

    @Override
    public void onFinished(SequenceResult result) {}

    @Override
    public void onError(RuntimeException error) {}
  }
}
