package org.sparsej.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.backend.JavaBackend;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.prune.BlockLinears;
import org.sparsej.prune.InputStatistics;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.Stage;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/** SmoothQuant leaves the float model's function unchanged and flattens the inputs a W8A8 kernel quantizes. */
class SmoothQuantTest {
  private static LayerwisePruning.Result smooth(LlamaModel model, JavaBackend backend, double alpha,
                                                List<int[]> samples) {
    return LayerwisePruning.run(model, backend, samples, 1,
        List.of(new Stage("smooth", List.of(new SmoothQuantModifier(alpha)))), new LayerwisePruning.Listener() {});
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      assertTrue(Float.isFinite(b[i]), "NaN or infinity at " + i);
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void smoothedModelComputesTheSameLogitsUnderGroupedQueryAttention() {
    LlamaModel model = TinyModels.random(1);
    int[] tokens = TinyModels.samples(99, 1, 20).get(0);
    try (JavaBackend backend = new JavaBackend(2)) {
      float[] before = TinyModels.logits(model, backend, tokens);
      for (double alpha : new double[] {0, 0.5, 0.8, 1}) {
        LlamaModel smoothed = smooth(model, backend, alpha, TinyModels.samples(7, 4, 16)).model();
        double diff = maxAbsDiff(before, TinyModels.logits(smoothed, backend, tokens));
        assertTrue(diff < 1e-4, "alpha " + alpha + ": logits moved by " + diff);
        // The smoothing did something: the norms and the o/down readers changed.
        LayerWeights l0 = smoothed.weights().layers().get(0);
        assertTrue(maxAbsDiff(model.weights().layers().get(0).attentionNorm().toFloatArray(),
            l0.attentionNorm().toFloatArray()) > 1e-3 || alpha == 0, "alpha " + alpha);
        assertTrue(maxAbsDiff(model.weights().layers().get(0).wo().toDense().toFloatArray(),
            l0.wo().toDense().toFloatArray()) > 1e-4, "o_proj columns rescaled");
      }
    }
  }

  @Test
  void smoothingFlattensTheOutlierChannelsOfTheNormedInput() {
    LlamaModel model = TinyModels.random(2);
    List<int[]> samples = TinyModels.samples(5, 4, 16);
    try (JavaBackend backend = new JavaBackend(2)) {
      InputStatistics[] before = rangesOfBlock0(model, backend, samples);
      LlamaModel smoothed = smooth(model, backend, 0.5, samples).model();
      InputStatistics[] after = rangesOfBlock0(smoothed, backend, samples);
      assertTrue(spread(after[0]) < 0.5 * spread(before[0]), spread(before[0]) + " -> " + spread(after[0]));
    }
  }

  @Test
  void allZeroChannelsKeepScaleOneAndNoNaN() {
    LlamaModel model = TinyModels.random(3);
    LlamaWeights w = model.weights();
    LayerWeights l0 = w.layers().get(0);
    // Input channel 5 of q/k/v always zero (its norm weight is 0); input channel 9 meets all-zero weight columns;
    // hidden channel 11 of down_proj always zero (gate row 11 is zero, silu(0)·up = 0).
    Tensor norm = Tensor.of(l0.attentionNorm().toFloatArray(), 32);
    norm.setFloat(5, 0f);
    LinearWeight[] ws = BlockLinears.of(l0);
    for (int i : new int[] {0, 1, 2}) {
      ws[i] = zeroColumn(ws[i], 9);
    }
    ws[4] = zeroRow(ws[4], 11);
    LayerWeights changed = BlockLinears.with(new LayerWeights(norm, ws[0], ws[1], ws[2], ws[3], l0.ffnNorm(), ws[4],
        ws[5], ws[6]), ws);
    List<LayerWeights> layers = new java.util.ArrayList<>(w.layers());
    layers.set(0, changed);
    LlamaModel zeroed = new LlamaModel(model.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(),
        w.classifier()));
    int[] tokens = TinyModels.samples(4, 1, 12).get(0);
    try (JavaBackend backend = new JavaBackend(2)) {
      InputStatistics[] stats = rangesOfBlock0(zeroed, backend, TinyModels.samples(8, 3, 16));
      assertEquals(0f, stats[0].absMax(5), "channel 5 is all zeros");
      assertEquals(0f, stats[3].absMax(11), "hidden channel 11 is all zeros");
      LlamaModel smoothed = smooth(zeroed, backend, 0.5, TinyModels.samples(8, 3, 16)).model();
      LayerWeights s0 = smoothed.weights().layers().get(0);
      assertEquals(0f, s0.attentionNorm().getFloat(5), "a zero norm weight stays zero (s = 1)");
      assertEquals(l0.attentionNorm().getFloat(9) * 1f, s0.attentionNorm().getFloat(9), 0f,
          "zero weight columns: s = 1");
      double diff = maxAbsDiff(TinyModels.logits(zeroed, backend, tokens), TinyModels.logits(smoothed, backend,
          tokens));
      assertTrue(diff < 1e-4, "logits moved by " + diff);
    }
    assertEquals(1f, SmoothQuant.scale(0, 2, 0.5));
    assertEquals(1f, SmoothQuant.scale(3, 0, 0.5));
    assertEquals(1f, SmoothQuant.scale(0, 0, 1));
    assertEquals(Math.sqrt(8) / Math.sqrt(2), SmoothQuant.scale(8, 2, 0.5), 1e-6);
    assertEquals(8, SmoothQuant.scale(8, 2, 1), 1e-6);
    assertEquals(0.5, SmoothQuant.scale(8, 2, 0), 1e-6);
  }

  @Test
  void sj7mSmoothedKeepsItsLogits() {
    LlamaModel model = ModelLoader.load(SharedData.sj7m());
    int[] tokens = new java.util.SplittableRandom(3).ints(24, 0, model.config().vocabSize()).toArray();
    try (JavaBackend backend = new JavaBackend(2)) {
      float[] before = TinyModels.logits(model, backend, tokens);
      List<int[]> samples = List.of(new java.util.SplittableRandom(4).ints(32, 0, 4096).toArray(),
          new java.util.SplittableRandom(5).ints(32, 0, 4096).toArray());
      LlamaModel smoothed = LayerwisePruning.run(model, backend, samples, 1, List.of(new Stage("smooth",
          List.of(new SmoothQuantModifier(0.5, EnumSet.allOf(SmoothQuant.Mapping.class), List.of())))),
          new LayerwisePruning.Listener() {}).model();
      double diff = maxAbsDiff(before, TinyModels.logits(smoothed, backend, tokens));
      assertTrue(diff < 1e-4, "logits moved by " + diff);
    }
  }

  @Test
  void strengthOutsideZeroToOneIsRefused() {
    for (double alpha : new double[] {-0.1, 1.01, Double.NaN}) {
      SparsejException e = assertThrows(SparsejException.class, () -> new SmoothQuantModifier(alpha));
      assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
    }
  }

  /** Input ranges of block 0's four groups. */
  private static InputStatistics[] rangesOfBlock0(LlamaModel model, JavaBackend backend, List<int[]> samples) {
    InputStatistics[][] seen = new InputStatistics[1][];
    org.sparsej.prune.BlockModifier probe = new org.sparsej.prune.BlockModifier() {
      @Override
      public String name() {
        return "probe";
      }

      @Override
      public String describe() {
        return "";
      }

      @Override
      public Needs needs() {
        return Needs.RANGES;
      }

      @Override
      public boolean requiresCalibration() {
        return true;
      }

      @Override
      public LayerWeights apply(int block, LayerWeights layer, InputStatistics[] stats,
                                java.util.function.Consumer<LayerwisePruning.LinearReport> report) {
        if (block == 0) {
          seen[0] = stats;
        }
        return layer;
      }
    };
    LayerwisePruning.run(model, backend, samples, 1, List.of(new Stage("probe", List.of(probe))),
        new LayerwisePruning.Listener() {});
    return seen[0];
  }

  /** max over channels of max|x| divided by their median: how far the outliers stand out. */
  private static double spread(InputStatistics s) {
    float[] m = new float[s.cols()];
    for (int c = 0; c < m.length; c++) {
      m[c] = s.absMax(c);
    }
    java.util.Arrays.sort(m);
    return m[m.length - 1] / m[m.length / 2];
  }

  private static LinearWeight zeroColumn(LinearWeight w, int col) {
    float[] v = w.toDense().toFloatArray();
    for (int r = 0; r < w.rows(); r++) {
      v[r * w.cols() + col] = 0;
    }
    return new DenseF32Weight(Tensor.of(v, w.rows(), w.cols()));
  }

  private static LinearWeight zeroRow(LinearWeight w, int row) {
    float[] v = w.toDense().toFloatArray();
    java.util.Arrays.fill(v, row * w.cols(), (row + 1) * w.cols(), 0f);
    return new DenseF32Weight(Tensor.of(v, w.rows(), w.cols()));
  }
}
