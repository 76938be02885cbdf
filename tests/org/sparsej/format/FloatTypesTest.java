package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.JavaBackend;
import org.sparsej.format.gguf.GgmlType;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.gguf.GgufModelReader;
import org.sparsej.format.gguf.GgufModelWriter;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;

/**
 * F16 and BF16 safetensors, F16/BF16/Q4_0 GGUF: written from sj-7m, read back to exactly the rounded values, and
 * still the same model (the logits' argmax agrees at nearly every prompt position).
 */
class FloatTypesTest {
  private static final LlamaModel F32 = ModelLoader.load(SharedData.path("models/sj-7m/hf"));

  @TempDir Path tmp;

  static Stream<Arguments> types() {
    UnaryOperator<Float> f16 = v -> Halfs.f16ToF32(Halfs.f32ToF16(v));
    UnaryOperator<Float> bf16 = v -> Halfs.bf16ToF32(Halfs.f32ToBf16(v));
    return Stream.of(Arguments.of("hf", "F16", f16), Arguments.of("hf", "BF16", bf16),
        Arguments.of("gguf", "F16", f16), Arguments.of("gguf", "BF16", bf16));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("types")
  void halfPrecisionLoadsToTheRoundedValues(String format, String type, UnaryOperator<Float> round) {
    Path out = tmp.resolve(format.equals("hf") ? "m" : "m.gguf");
    if (format.equals("hf")) {
      HfModelWriter.write(F32, out, HfModelWriter.Options.defaults().withFloatType(StDType.valueOf(type)));
    } else {
      GgufModelWriter.write(F32, null, out, GgmlType.valueOf(type), false);
    }
    LlamaModel m = ModelLoader.load(out);
    float[] orig = F32.weights().layers().get(2).w2().toDense().toFloatArray();
    float[] back = m.weights().layers().get(2).w2().toDense().toFloatArray();
    for (int i = 0; i < orig.length; i++) {
      assertEquals(round.apply(orig[i]), back[i], 0f, "w2[" + i + "]");
    }
    float[] embed = F32.weights().tokenEmbedding().toFloatArray();
    assertEquals(round.apply(embed[1234]), m.weights().tokenEmbedding().getFloat(1234), 0f);
    assertTrue(argmaxAgreement(F32, m) >= 0.9);
  }

  @Test
  void q4_0RoundsAsGgmlAndDecodesExactly() {
    float[] block = new float[32];
    block[0] = -1.0f;  // the largest magnitude, negative: d = -1 / -8 = 0.125
    block[1] = 0.5f;   // 0.5 * 8 + 8.5 = 12.5 -> 12 -> (12 - 8) * 0.125 = 0.5
    block[2] = 0.99f;  // 16.42 clamps to 15 -> 0.875
    block[3] = 0.3f;   // 10.9 -> 10 -> 0.25
    block[17] = -0.3f; // 6.1 -> 6 -> -0.25 (high nibble of byte 1)
    ByteBuffer f32 = ByteBuffer.allocateDirect(128).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : block) {
      f32.putFloat(v);
    }
    Path p = tmp.resolve("q4.gguf");
    LlamaModel tiny = tinyModel();
    GgufModelWriter.write(tiny, null, p, GgmlType.Q4_0, false);
    try (GgufFile g = GgufFile.open(p)) {
      assertEquals(GgmlType.Q4_0, g.tensor("blk.0.attn_q.weight").type());
    }
    Tensor out = Tensor.allocate(DType.F32, 32);
    ByteBuffer q4 = encodeQ4(f32.clear());
    GgufModelReader.dequantize(GgmlType.Q4_0, q4, out, 32);
    assertEquals(-1.0f, out.getFloat(0));
    assertEquals(0.5f, out.getFloat(1));
    assertEquals(0.875f, out.getFloat(2));
    assertEquals(0.25f, out.getFloat(3));
    assertEquals(-0.25f, out.getFloat(17));
    assertEquals(0f, out.getFloat(5));  // 0 * 8 + 8.5 -> 8 -> 0
  }

  @Test
  void q4_0ModelStillRuns() {
    Path p = tmp.resolve("q4.gguf");
    GgufModelWriter.write(F32, null, p, GgmlType.Q4_0, false);
    double agree = argmaxAgreement(F32, ModelLoader.load(p));
    assertTrue(agree >= 0.5, "argmax agreement " + agree);
  }

  private static ByteBuffer encodeQ4(ByteBuffer f32) {
    return GgufModelWriter.encode(GgmlType.Q4_0, f32, 1, 32);
  }

  private LlamaModel tinyModel() {
    Path bin = tmp.resolve("tiny.bin");
    org.sparsej.model.SyntheticCheckpoint.write(bin, org.sparsej.model.SyntheticCheckpoint.parseShape(
        "dim=32,hidden=64,layers=1,heads=4,kv_heads=2,vocab=64,seq=16"), 3, n -> { });
    return ModelLoader.load(bin);
  }

  private static double argmaxAgreement(LlamaModel a, LlamaModel b) {
    int[] prompt = SharedData.ints(SharedData.json("reference/sj-7m-greedy.json").get("cases").get(0)
        .get("prompt_ids"));
    try (JavaBackend backend = new JavaBackend(2)) {
      Tensor x = a.newSession(backend, 64).forward(prompt, prompt.length, true);
      Tensor y = b.newSession(backend, 64).forward(prompt, prompt.length, true);
      int vocab = a.config().vocabSize();
      int agree = 0;
      for (int p = 0; p < prompt.length; p++) {
        agree += argmax(x, p, vocab) == argmax(y, p, vocab) ? 1 : 0;
      }
      return (double) agree / prompt.length;
    }
  }

  private static int argmax(Tensor t, int row, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (t.getFloat((long) row * n + i) > t.getFloat((long) row * n + best)) {
        best = i;
      }
    }
    return best;
  }
}
