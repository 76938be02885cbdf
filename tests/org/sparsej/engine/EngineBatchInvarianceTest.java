package org.sparsej.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.CpuBackend;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.Llama2cCheckpoint;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.StoredWeight.Layout;
import org.sparsej.weights.WeightFormat;

/**
 * A sequence decodes the same alone and among 15 others, in every weight format on the cpu backend: sj-7m with
 * every linear (the classifier too) in that format, greedy, and the same tokens and bit-identical prompt logprobs
 * whether the engine runs it by itself or in passes shared with other sequences' prompts and decode steps.
 */
class EngineBatchInvarianceTest {
  private static final LlamaModel SJ7M = Llama2cCheckpoint.load(SharedData.sj7m());
  private static final int STEPS = 8;
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    cpu = new CpuBackend(2);
  }

  @AfterAll
  static void close() {
    cpu.close();
  }

  static Stream<WeightFormat> formats() {
    return Stream.of(WeightFormat.values());
  }

  @ParameterizedTest
  @MethodSource("formats")
  void aSequenceDecodesTheSameAloneAndAmongOthers(WeightFormat format) throws Exception {
    LlamaModel model = inFormat(SJ7M, format);
    int[] target = prompt(1, 9);
    SequenceResult alone;
    try (Engine engine = new Engine(model, cpu, new EngineOptions(1, 64, 0, 4))) {
      alone = run(engine, List.of(target)).get(0);
    }
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      prompts.add(i == 7 ? target : prompt(100 + i, 2 + 2 * i));
    }
    try (Engine engine = new Engine(model, cpu, new EngineOptions(16, 40, 0, 16))) {
      SequenceResult among = run(engine, prompts).get(7);
      assertArrayEquals(alone.generated(), among.generated(), format.id() + ": generated tokens");
      assertArrayEquals(alone.promptLogprobs(), among.promptLogprobs(), 0.0, format.id() + ": prompt logprobs");
      assertEquals(STEPS, among.generated().length);
    }
  }

  private static List<SequenceResult> run(Engine engine, List<int[]> prompts) throws Exception {
    List<CompletableFuture<SequenceResult>> futures = new ArrayList<>();
    for (int[] p : prompts) {
      SequenceRequest r = new SequenceRequest(p, STEPS, SamplingParams.greedy(), new int[0], true);
      futures.add(engine.submit(r, SequenceListener.ignoring()).completion());
    }
    List<SequenceResult> results = new ArrayList<>();
    for (CompletableFuture<SequenceResult> f : futures) {
      results.add(f.get(120, TimeUnit.SECONDS));
    }
    return results;
  }

  private static int[] prompt(long seed, int length) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] p = new int[length];
    p[0] = 1;  // BOS
    for (int i = 1; i < length; i++) {
      p[i] = 3 + r.nextInt(SJ7M.config().vocabSize() - 3);
    }
    return p;
  }

  /** The model with every linear rebuilt in {@code format} (sparse formats: a random 50% mask, or 2:4). */
  private static LlamaModel inFormat(LlamaModel model, WeightFormat format) {
    LlamaWeights w = model.weights();
    List<LayerWeights> layers = new ArrayList<>();
    long seed = 0;
    for (LayerWeights l : w.layers()) {
      layers.add(new LayerWeights(l.attentionNorm(), convert(l.wq(), format, ++seed),
          convert(l.wk(), format, ++seed), convert(l.wv(), format, ++seed), convert(l.wo(), format, ++seed),
          l.ffnNorm(), convert(l.w1(), format, ++seed), convert(l.w2(), format, ++seed),
          convert(l.w3(), format, ++seed)));
    }
    return new LlamaModel(model.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(),
        convert(w.classifier(), format, ++seed)));
  }

  private static LinearWeight convert(LinearWeight w, WeightFormat format, long seed) {
    Tensor dense = w.toDense();
    Tensor mask = format.storedLayout() == Layout.BITMASK
        ? SparsityMasks.random(w.rows(), w.cols(), 0.5, seed)
        : format.storedLayout() == Layout.TWO_FOUR ? SparsityMasks.twoFour(dense) : null;
    return format.fromDense(dense, mask);
  }
}
