package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparsej.model.LayerWeights;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/**
 * One block through the SparseGPT modifier: q, k and v (gate and up) share one Hessian factor, and each linear's
 * reported error comes from the sweep instead of a second trace. Both must change nothing: every linear comes out as
 * pruning it alone gives, and its error is the trace ratio computed from scratch.
 */
class PruningModifierTest {
  private static final int DIM = 64;
  private static final int KV = 32;  // grouped-query attention: k and v narrower than q
  private static final int HIDDEN = 96;
  private static final int TOKENS = 300;

  private final Random random = new Random(5);

  /** Low-rank inputs with unequal channel scales and one channel that never fires. */
  private InputStatistics inputs(int cols) {
    int latent = cols / 4;
    double[] mix = new double[latent * cols];
    for (int i = 0; i < mix.length; i++) {
      mix[i] = random.nextGaussian();
    }
    double[] x = new double[TOKENS * cols];
    for (int t = 0; t < TOKENS; t++) {
      double[] z = new double[latent];
      for (int k = 0; k < latent; k++) {
        z[k] = random.nextGaussian();
      }
      for (int c = 1; c < cols; c++) {  // channel 0 stays zero
        double s = 0.05 * random.nextGaussian();
        for (int k = 0; k < latent; k++) {
          s += z[k] * mix[k * cols + c];
        }
        x[t * cols + c] = (1 + c % 5) * s;
      }
    }
    InputStatistics s = new InputStatistics(cols);
    s.add(x, TOKENS);
    return s;
  }

  @Test
  void sharedFactorsAndSweepErrorsChangeNoResult() {
    RandomTensors tensors = new RandomTensors(9);
    int[][] shapes = {{DIM, DIM}, {KV, DIM}, {KV, DIM}, {DIM, DIM}, {HIDDEN, DIM}, {DIM, HIDDEN}, {HIDDEN, DIM}};
    LinearWeight[] ws = new LinearWeight[shapes.length];
    for (int i = 0; i < ws.length; i++) {
      ws[i] = new DenseF32Weight(tensors.uniform(shapes[i][0], shapes[i][1]));
    }
    LayerWeights layer = new LayerWeights(null, ws[0], ws[1], ws[2], ws[3], null, ws[4], ws[5], ws[6]);
    InputStatistics[] stats = {inputs(DIM), inputs(DIM), inputs(DIM), inputs(HIDDEN)};
    for (SparsityPattern pattern : List.of(SparsityPattern.UNSTRUCTURED, SparsityPattern.parse("2:4"))) {
      PruningModifier modifier = new PruningModifier(new PruneRecipe(new SparseGpt(), 0.6, pattern, List.of()));
      List<LayerwisePruning.LinearReport> reports = new ArrayList<>();
      LinearWeight[] out = BlockLinears.of(modifier.apply(0, layer, stats, reports::add));
      assertEquals(ws.length, reports.size());
      for (int i = 0; i < ws.length; i++) {
        String at = pattern + ", " + reports.get(i).name();
        double[] original = BlockLinears.toDoubles(ws[i]);
        double[] alone = original.clone();
        InputStatistics s = stats[BlockLinears.GROUP[i]];
        new SparseGpt().prune(alone, shapes[i][0], shapes[i][1], s, 0.6, pattern);
        assertArrayEquals(BlockLinears.toWeight(alone, shapes[i][0], shapes[i][1]).toDense().toFloatArray(),
            out[i].toDense().toFloatArray(), at);
        double expected = s.relativeError(original, alone, shapes[i][0]);
        assertEquals(expected, reports.get(i).relativeError(), 1e-9 * expected, at);
      }
    }
  }
}
