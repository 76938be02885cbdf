package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparsej.backend.JavaBackend;
import org.sparsej.backend.PagedKv;
import org.sparsej.model.ForwardPass;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.WeightFormat;

/** TrainableModel's masks and formats, and GradientStep's invariants on whole (tiny) models. */
class TrainableModelTest {
  private static final Path TINY = Path.of("tests/resources/train/llama/student");  // tied, half its linears zero
  private static final Path TINY_QWEN = Path.of("tests/resources/train/qwen2/student");  // dense, untied, biases

  @Test
  void parametersNameEveryTensorAndTheMaskIsTheZeros() {
    LlamaModel model = ModelLoader.load(TINY);
    TrainableModel t = TrainableModel.of(model);
    LlamaConfig c = model.config();
    assertEquals(1 + c.nLayers() * 9 + 1, t.parameters().size(), "embedding, 9 per block, final norm; tied");
    assertTrue(t.parameters().stream().noneMatch(p -> p.name().equals("lm_head.weight")));
    assertTrue(t.hasSparseLinears());
    for (Parameter p : t.parameters()) {
      boolean linear = p.name().endsWith("proj.weight");
      assertEquals(linear, p.kept() != null, p.name() + " has a mask exactly when it is a pruned linear");
      assertEquals(p.name().endsWith("proj.weight") || p.name().equals("model.embed_tokens.weight"), p.decays());
      if (p.kept() != null) {
        for (int i = 0, k = 0; i < p.size(); i++) {
          boolean kept = k < p.kept().length && p.kept()[k] == i;
          assertEquals(kept, p.value()[i] != 0f, p.name() + "[" + i + "]");
          k += kept ? 1 : 0;
        }
      }
    }
    TrainableModel dense = TrainableModel.of(ModelLoader.load(TINY_QWEN));
    assertFalse(dense.hasSparseLinears());
    assertEquals(1 + 2 * 12 + 2, dense.parameters().size(), "embedding, 12 per block with biases, norm, lm_head");
  }

  @Test
  void toModelKeepsEachFormatAndItsMask() {
    LlamaModel model = withFormats(ModelLoader.load(TINY));
    TrainableModel t = TrainableModel.of(model);
    // Train: move every kept value; a zero that moved would break the format.
    for (Parameter p : t.parameters()) {
      for (int i = 0; i < p.size(); i++) {
        if (p.value()[i] != 0f || p.kept() == null) {
          p.value()[i] += 0.125f;
        }
      }
    }
    LlamaModel out = t.toModel();
    for (int l = 0; l < model.config().nLayers(); l++) {
      LinearWeight[] before = linears(model.weights().layers().get(l));
      LinearWeight[] after = linears(out.weights().layers().get(l));
      for (int i = 0; i < before.length; i++) {
        assertEquals(before[i].format(), after[i].format(), "layer " + l + " linear " + i);
        float[] b = before[i].toDense().toFloatArray();
        float[] a = after[i].toDense().toFloatArray();
        for (int j = 0; j < b.length; j++) {
          assertEquals(b[j] == 0f ? 0f : b[j] + 0.125f, a[j], 1e-6f, "layer " + l + " linear " + i + " [" + j + "]");
        }
      }
    }
    assertArrayEquals(t.parameters().get(0).value(), out.weights().tokenEmbedding().toFloatArray());
    assertTrue(out.weights().classifier().toDense().toFloatArray()[0] == t.parameters().get(0).value()[0],
        "the classifier stays tied to the embedding");
  }

  @Test
  void gradientsOfSparseFormatsAreZeroOutsideTheMask() {
    LlamaModel model = withFormats(ModelLoader.load(TINY));
    TrainableModel t = TrainableModel.of(model);
    int[][] tokens = tokens(model.config().vocabSize(), 2, 6);
    try (GradientStep step = new GradientStep(t, null, LossSpec.defaults(LossKind.CE), 2, 2, 6, new JavaBackend(2))) {
      step.run(tokens);
    }
    int masked = 0;
    for (Parameter p : t.parameters()) {
      if (p.kept() == null) {
        continue;
      }
      boolean[] keep = new boolean[p.size()];
      for (int i : p.kept()) {
        keep[i] = true;
      }
      boolean anyKept = false;
      for (int i = 0; i < p.size(); i++) {
        if (!keep[i]) {
          assertEquals(0f, p.grad()[i], p.name() + "[" + i + "]");
          masked++;
        } else {
          anyKept |= p.grad()[i] != 0f;
        }
      }
      assertTrue(anyKept, p.name() + ": kept entries have a gradient");
    }
    assertTrue(masked > 0);
  }

  @Test
  void forwardIsTheModelsOwnAndTeacherEqualsStudentGivesNoDistillationLoss() {
    LlamaModel model = ModelLoader.load(TINY_QWEN);
    LlamaConfig c = model.config();
    int batch = 2;
    int seqLen = 6;
    int[][] tokens = tokens(c.vocabSize(), batch, seqLen);
    // CE from the original model's ForwardPass, in double.
    double ce = 0;
    try (JavaBackend b = new JavaBackend(1); ForwardPass pass = new ForwardPass(model, b, seqLen)) {
      float[] logits = new float[seqLen * c.vocabSize()];
      for (int[] seq : tokens) {
        Tensor page = b.allocate(DType.F32, Math.toIntExact(PagedKv.pageFloats(c.nLayers(), seqLen, c.kvDim())));
        PagedKv kv = PagedKv.builder(c.nLayers(), seqLen, c.kvDim()).add(seqLen, 0, new Tensor[] {page}, 1).build();
        int[] rows = java.util.stream.IntStream.range(0, seqLen).toArray();
        b.copyToHost(pass.forward(seq, kv, rows, seqLen), 0, logits, 0, logits.length);
        for (int r = 0; r < seqLen; r++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < c.vocabSize(); j++) {
            max = Math.max(max, logits[r * c.vocabSize() + j]);
          }
          double sum = 0;
          for (int j = 0; j < c.vocabSize(); j++) {
            sum += Math.exp(logits[r * c.vocabSize() + j] - max);
          }
          ce += max + Math.log(sum) - logits[r * c.vocabSize() + seq[r + 1]];
        }
      }
    }
    ce /= batch * seqLen;
    TrainableModel student = TrainableModel.of(model);
    LossReport report;
    try (GradientStep step = new GradientStep(student, model, LossSpec.defaults(LossKind.KD_SQUAREHEAD), 2, batch,
        seqLen, new JavaBackend(2))) {
      report = step.run(tokens);
    }
    assertEquals(ce, report.ce(), 1e-5 * ce, "the step's forward is the model's");
    assertEquals(0, report.kd(), 1e-6, "KL(p || p) = 0");
    assertEquals(0, report.squarehead(), "the teacher's own hidden states");
    assertEquals(0.25 * report.ce(), report.total(), 1e-9);
    assertEquals(batch * seqLen, report.tokens());
  }

  @Test
  void badInputIsRefusedWithOneLine() {
    LlamaModel model = ModelLoader.load(TINY);
    TrainableModel t = TrainableModel.of(model);
    LlamaModel other = ModelLoader.load(TINY_QWEN);
    SparsejException e = assertThrows(SparsejException.class,
        () -> new GradientStep(t, other, LossSpec.defaults(LossKind.KD), 1, 1, 4, new JavaBackend(1)));
    assertTrue(e.getMessage().startsWith("teacher vocabulary of 41 tokens differs"), e.getMessage());
    e = assertThrows(SparsejException.class,
        () -> new GradientStep(t, null, LossSpec.defaults(LossKind.KD), 1, 1, 4, new JavaBackend(1)));
    assertEquals("loss kd needs a teacher model", e.getMessage());
    e = assertThrows(SparsejException.class,
        () -> new GradientStep(t, null, LossSpec.defaults(LossKind.CE), 1, 1, 33, new JavaBackend(1)));
    assertTrue(e.getMessage().contains("exceeds the model's context 32"), e.getMessage());
    assertThrows(SparsejException.class, () -> LossKind.parse("mse"));
    assertThrows(SparsejException.class, () -> new LossSpec(LossKind.KD, 0f, 0f, 0f));
    try (GradientStep step = new GradientStep(t, null, LossSpec.defaults(LossKind.CE), 1, 1, 4, new JavaBackend(1))) {
      e = assertThrows(SparsejException.class, () -> step.run(new int[][] {{1, 2, 3}}));
      assertEquals("gradient step: sequence 0 has 3 ids, expected 5", e.getMessage());
      e = assertThrows(SparsejException.class, () -> step.run(new int[][] {{1, 2, 3, 4, 67}}));
      assertEquals("gradient step: token id 67 outside the vocabulary of 67", e.getMessage());
    }
  }

  /** The model with block l's linears re-encoded: sparse-bitmask (their zeros) in block 0, 2:4 by magnitude in 1. */
  private static LlamaModel withFormats(LlamaModel m) {
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < m.config().nLayers(); l++) {
      LayerWeights w = m.weights().layers().get(l);
      LinearWeight[] ws = linears(w);
      for (int i = 0; i < ws.length; i++) {
        Tensor dense = ws[i].toDense();
        ws[i] = l == 0 ? WeightFormat.SPARSE_BITMASK_F32.fromDense(dense, null)
            : WeightFormat.SPARSE_24_F32.fromDense(dense, SparsityMasks.twoFour(dense));
      }
      layers.add(new LayerWeights(w.attentionNorm(), ws[0], ws[1], ws[2], ws[3], w.ffnNorm(), ws[4], ws[5], ws[6]));
    }
    LlamaWeights old = m.weights();
    return new LlamaModel(m.config(), new LlamaWeights(old.tokenEmbedding(), layers, old.finalNorm(),
        old.classifier()));
  }

  private static LinearWeight[] linears(LayerWeights w) {
    return new LinearWeight[] {w.wq(), w.wk(), w.wv(), w.wo(), w.w1(), w.w2(), w.w3()};
  }

  private static int[][] tokens(int vocab, int batch, int seqLen) {
    SplittableRandom random = new SplittableRandom(3);
    int[][] t = new int[batch][seqLen + 1];
    for (int[] row : t) {
      for (int i = 0; i < row.length; i++) {
        row[i] = random.nextInt(vocab);
      }
    }
    return t;
  }

  @Test
  void tiedClassifierHasNoParameterOfItsOwn() {
    TrainableModel t = TrainableModel.of(ModelLoader.load(TINY));
    assertNull(t.classifier());
  }
}
