package org.sparsej.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparsej.util.SparsejException;

/** The three methods on small random layers with correlated inputs (no model, no files). */
class PrunersTest {
  private static final int ROWS = 48;
  private static final int COLS = 160;
  private static final int TOKENS = 600;
  private static final List<Pruner> METHODS = List.of(new Magnitude(), new Wanda(), new SparseGpt());

  private final Random random = new Random(11);
  private final double[] weights = gaussian(ROWS * COLS);
  private final double[] inputs = correlatedInputs();

  /** x = z·A with per-column scales: inputs correlated across columns, of unequal size, as in a transformer. */
  private double[] correlatedInputs() {
    int latent = 40;
    double[] z = gaussian(TOKENS * latent);
    double[] a = gaussian(latent * COLS);
    double[] x = new double[TOKENS * COLS];
    for (int c = 0; c < COLS; c++) {
      double scale = 0.2 + 3 * random.nextDouble();
      for (int t = 0; t < TOKENS; t++) {
        double s = 0.1 * random.nextGaussian();
        for (int k = 0; k < latent; k++) {
          s += z[t * latent + k] * a[k * COLS + c];
        }
        x[t * COLS + c] = scale * s;
      }
    }
    return x;
  }

  private double[] gaussian(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian();
    }
    return v;
  }

  private InputStatistics stats() {
    InputStatistics s = new InputStatistics(COLS);
    s.add(inputs, TOKENS);
    return s;
  }

  private double[] pruned(Pruner method, double sparsity, SparsityPattern pattern) {
    double[] w = weights.clone();
    method.prune(w, ROWS, COLS, stats(), sparsity, pattern);
    return w;
  }

  /** ‖W·X - Ŵ·X‖_F computed directly from the inputs. */
  private double outputError(double[] w) {
    return outputError(w, inputs);
  }

  private double outputError(double[] w, double[] inputs) {
    double sum = 0;
    for (int r = 0; r < ROWS; r++) {
      for (int t = 0; t < TOKENS; t++) {
        double d = 0;
        for (int c = 0; c < COLS; c++) {
          d += (weights[r * COLS + c] - w[r * COLS + c]) * inputs[t * COLS + c];
        }
        sum += d * d;
      }
    }
    return Math.sqrt(sum);
  }

  private static long zeros(double[] w, int from, int count) {
    long n = 0;
    for (int i = from; i < from + count; i++) {
      if (w[i] == 0) {
        n++;
      }
    }
    return n;
  }

  @Test
  void unstructuredSparsityIsExact() {
    for (double s : new double[] {0.5, 0.7}) {
      // Magnitude: floor(s·numel) over the matrix.
      assertEquals((long) Math.floor(s * ROWS * COLS + 1e-9), zeros(pruned(new Magnitude(), s,
          SparsityPattern.UNSTRUCTURED), 0, ROWS * COLS), "magnitude at " + s);
      // Wanda: floor(s·cols) in every row.
      double[] w = pruned(new Wanda(), s, SparsityPattern.UNSTRUCTURED);
      for (int r = 0; r < ROWS; r++) {
        assertEquals((long) Math.floor(s * COLS + 1e-9), zeros(w, r * COLS, COLS), "wanda row " + r + " at " + s);
      }
      // SparseGPT: floor(s·rows·blockwidth) in each block of 128 columns: 160 columns = 128 + 32.
      double[] g = pruned(new SparseGpt(), s, SparsityPattern.UNSTRUCTURED);
      long expected = (long) Math.floor(s * ROWS * 128 + 1e-9) + (long) Math.floor(s * ROWS * 32 + 1e-9);
      assertEquals(expected, zeros(g, 0, ROWS * COLS), "sparsegpt at " + s);
    }
  }

  @Test
  void nmPatternHoldsInEveryGroup() {
    for (SparsityPattern p : List.of(SparsityPattern.parse("2:4"), SparsityPattern.parse("4:8"))) {
      for (Pruner method : METHODS) {
        double[] w = pruned(method, 0, p);
        for (int r = 0; r < ROWS; r++) {
          for (int g = 0; g < COLS; g += p.m()) {
            assertEquals(p.zerosPerGroup(), zeros(w, r * COLS + g, p.m()),
                method.name() + " " + p + " row " + r + " group " + g);
          }
        }
      }
    }
  }

  @Test
  void sparseGptReconstructsTheOutputBestAtEverySetting() {
    for (SparsityPattern p : List.of(SparsityPattern.UNSTRUCTURED, SparsityPattern.parse("2:4"))) {
      for (double s : p.unstructured() ? new double[] {0.5, 0.7} : new double[] {0.5}) {
        double magnitude = outputError(pruned(new Magnitude(), s, p));
        double wanda = outputError(pruned(new Wanda(), s, p));
        double sparseGpt = outputError(pruned(new SparseGpt(), s, p));
        String at = p + " at " + s + ": magnitude " + magnitude + ", wanda " + wanda + ", sparsegpt " + sparseGpt;
        assertTrue(sparseGpt < wanda && sparseGpt < magnitude, at);
        assertTrue(wanda < magnitude, at);  // the inputs have unequal scales, which only Wanda sees
      }
    }
  }

  @Test
  void relativeErrorAgreesWithTheDirectComputation() {
    double[] w = pruned(new SparseGpt(), 0.5, SparsityPattern.UNSTRUCTURED);
    double direct = outputError(w);
    double full = outputError(new double[ROWS * COLS]);
    assertEquals(direct * direct / (full * full), stats().relativeError(weights, w, ROWS), 1e-9);
  }

  /** The inputs with channel {@code c} never firing. */
  private double[] withDeadInput(int c) {
    double[] x = inputs.clone();
    for (int t = 0; t < TOKENS; t++) {
      x[t * COLS + c] = 0;
    }
    return x;
  }

  private static InputStatistics statsOf(double[] x) {
    InputStatistics s = new InputStatistics(COLS);
    s.add(x, TOKENS);
    return s;
  }

  @Test
  void sparseGptReportsTheOutputChangeItMade() {
    for (SparsityPattern p : List.of(SparsityPattern.UNSTRUCTURED, SparsityPattern.parse("2:4"))) {
      for (double[] x : List.of(inputs, withDeadInput(7))) {
        double[] w = weights.clone();
        double reported = new SparseGpt().prune(w, ROWS, COLS, statsOf(x), 0.6, p);
        double direct = outputError(w, x);
        // the inputs are nearly rank 40 of 160, so the dampening's share of the sweep's loss is large
        assertEquals(direct * direct, reported, 1e-9 * direct * direct, p + (x == inputs ? "" : ", a dead input"));
      }
    }
    for (Pruner method : List.of(new Magnitude(), new Wanda())) {
      assertTrue(Double.isNaN(method.prune(weights.clone(), ROWS, COLS, stats(), 0.5, SparsityPattern.UNSTRUCTURED)),
          method.name() + " leaves the measurement to the caller");
    }
  }

  @Test
  void linearsSharingInputsPruneAsIfAlone() {
    InputStatistics s = statsOf(withDeadInput(3));
    int[] rows = {ROWS, ROWS / 3, ROWS};
    SparsityPattern[] patterns = {SparsityPattern.UNSTRUCTURED, SparsityPattern.parse("2:4"),
        SparsityPattern.UNSTRUCTURED};
    double[][] alone = new double[rows.length][];
    double[] aloneChange = new double[rows.length];
    double[][] shared = new double[rows.length][];
    double[] sharedChange = new double[rows.length];
    for (int k = 0; k < rows.length; k++) {
      alone[k] = gaussian(rows[k] * COLS);
      shared[k] = alone[k].clone();
      aloneChange[k] = new SparseGpt().prune(alone[k], rows[k], COLS, s, 0.5 + 0.1 * k, patterns[k]);
    }
    try (Pruner.InputGroup group = new SparseGpt().sharing(s)) {
      for (int k = 0; k < rows.length; k++) {
        sharedChange[k] = group.prune(shared[k], rows[k], COLS, 0.5 + 0.1 * k, patterns[k]);
      }
    }
    for (int k = 0; k < rows.length; k++) {
      assertArrayEquals(alone[k], shared[k], "linear " + k);
      assertEquals(aloneChange[k], sharedChange[k], "linear " + k);
    }
  }

  @Test
  void deadInputsArePrunedAndTheRestStillSolves() {
    double[] x = inputs.clone();
    for (int t = 0; t < TOKENS; t++) {
      x[t * COLS + 5] = 0;  // input 5 never fires
    }
    InputStatistics s = new InputStatistics(COLS);
    s.add(x, TOKENS);
    double[] w = weights.clone();
    new SparseGpt().prune(w, ROWS, COLS, s, 0.5, SparsityPattern.UNSTRUCTURED);
    for (int r = 0; r < ROWS; r++) {
      assertEquals(0.0, w[r * COLS + 5], "dead input weight, row " + r);
    }
    for (double v : w) {
      assertTrue(Double.isFinite(v));
    }
  }

  @Test
  void zeroSparsityChangesNothing() {
    for (Pruner method : METHODS) {
      double[] w = pruned(method, 0, SparsityPattern.UNSTRUCTURED);
      assertEquals(0, outputError(w), 1e-9, method.name());
    }
  }

  @Test
  void patternsParseAndCheckTheWidth() {
    assertTrue(SparsityPattern.parse("unstructured").unstructured());
    assertEquals(new SparsityPattern(2, 4), SparsityPattern.parse("2:4"));
    assertEquals(0.5, SparsityPattern.parse("4:8").sparsity(0.9), 0);
    assertThrows(SparsejException.class, () -> SparsityPattern.parse("4:2"));
    assertThrows(SparsejException.class, () -> SparsityPattern.parse("half"));
    SparsejException e = assertThrows(SparsejException.class,
        () -> SparsityPattern.parse("3:7").requireDivides(288, "layers.0.wq"));
    assertTrue(e.getMessage().contains("288") && e.getMessage().contains("layers.0.wq"), e.getMessage());
  }
}
