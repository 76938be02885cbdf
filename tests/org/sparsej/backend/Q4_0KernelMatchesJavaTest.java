package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.sparsej.testing.TensorAssert.assertClose;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.format.gguf.GgmlType;
import org.sparsej.format.gguf.GgufModelWriter;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.testing.SharedData;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q4_0Weight;
import org.sparsej.weights.WeightFormat;

/**
 * Q4_0 as stored: ggml's rounding on a hand-made block, the int8 view packed back, and a Q4_0 GGUF loaded mapped
 * and run on both backends (the kernels against the Java reference: BlockQuantKernelsMatchJavaTest).
 */
class Q4_0KernelMatchesJavaTest {
  @TempDir Path tmp;

  @Test
  void quantizeRoundsLikeGgml() {
    // The value of largest magnitude is -1.6: d = -1.6 / -8 = 0.2; x/d + 8.5 truncated, at most 15.
    float[] v = new float[32];
    v[0] = -1.6f;   // -8 -> nibble 0
    v[1] = 1.5f;    // 7.5 + 8.5 = 16 -> clamped to 15 (value 7)
    v[2] = 0.29f;   // 1.45 + 8.5 = 9.95 -> 9 (value 1)
    v[16] = -0.31f; // -1.55 + 8.5 = 6.95 -> 6 (value -2), the high nibble of byte 0
    Q4_0Weight w = Q4_0Weight.quantize(Tensor.of(v, 1, 32));
    byte[] q = new byte[3];
    w.blocks().bytes().position(2).get(q);
    assertArrayEquals(new byte[] {(byte) (0 | 6 << 4), (byte) (15 | 8 << 4), (byte) (9 | 8 << 4)}, q);
    org.sparsej.testing.TensorAssert.assertValues(new float[] {-1.6f, 1.4f, 0.2f}, w.toDense(), 1e-3, "values");
  }

  @Test
  void int8ViewPacksBackBitForBit() {
    Q4_0Weight w = Q4_0Weight.quantize(new RandomTensors(23).uniform(7, 96));
    Q4_0Weight back = Q4_0Weight.fromStored(w.stored());
    assertEquals(w.blocks().bytes(), back.blocks().bytes());
    assertEquals(WeightFormat.Q4_0, WeightFormat.forStored(w.stored()), "the int8 view loads back as Q4_0");
    assertEquals(WeightFormat.Q8_0, WeightFormat.forStored(
        org.sparsej.weights.Q8_0Weight.quantize(new RandomTensors(25).uniform(7, 96)).stored()));
    assertThrows(SparsejException.class, () -> Q4_0Weight.fromStored(
        org.sparsej.weights.Q8_0Weight.quantize(new RandomTensors(24).uniform(2, 32)).stored()));
  }

  /**
   * sj-7m written as Q4_0 GGUF: every matrix loads mapped as Q4_0, and cpu logits match the Java backend's. Not
   * closely: a matmul agrees to 1e-5, but an activation that lands on the other side of a rounding boundary when
   * it is quantized moves by a whole step, and six layers carry that on.
   */
  @Test
  void q4_0GgufRunsAsStoredOnBothBackends() {
    Path file = tmp.resolve("sj-7m-q4_0.gguf");
    GgufModelWriter.write(ModelLoader.load(SharedData.sj7m()), null, file, GgmlType.Q4_0, false);
    LlamaModel m = ModelLoader.load(file);
    for (LayerWeights l : m.weights().layers()) {
      for (LinearWeight w : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
        assertEquals(WeightFormat.Q4_0, w.format());
      }
    }
    assertEquals(WeightFormat.Q4_0, m.weights().classifier().format(), "tied table stays Q4_0 as classifier");
    int[] prompt = {1, 403, 407, 261, 1082, 2989, 727, 471};
    try (JavaBackend java = new JavaBackend(2); CpuBackend cpu = new CpuBackend(2)) {
      InferenceSession a = m.newSession(java, 8);
      InferenceSession b = m.newSession(cpu, 8);
      Tensor la = a.prefill(prompt);
      Tensor lb = b.prefill(prompt);
      assertClose(la, lb, m.config().vocabSize(), 3e-2, "q4_0 sj-7m logits, cpu vs java");
      assertEquals(org.sparsej.generate.Sampler.argmax(la, m.config().vocabSize()),
          org.sparsej.generate.Sampler.argmax(lb, m.config().vocabSize()), "next token");
    }
  }
}
