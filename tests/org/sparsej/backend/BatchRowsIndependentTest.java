package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.WeightFormat;

/**
 * The engine's determinism rests on this: a row of a batched matmul is bit for bit the matmul of that row alone,
 * whatever the batch size (1 to 70), the row's place in the batch and the thread count, so a sequence decodes the
 * same tokens alone and among others. Every weight format, every ISA, column counts around every vector width and
 * one wide enough that the kernels split the batch into blocks of tokens.
 */
class BatchRowsIndependentTest {
  private static final int MAX_BATCH = 70;
  private static final int[] THREADS = {1, 3};

  static Stream<Arguments> isasAndFormats() {
    return Isa.runnableWith((Object[]) WeightFormat.values());
  }

  /** Column counts the format accepts: Q8_0 and Q4_0 need whole 32-blocks, 2:4 whole groups of 4. */
  private static int[] colsFor(WeightFormat f) {
    if (f == WeightFormat.Q8_0 || f == WeightFormat.Q4_0) {
      return new int[] {32, 800, 4128};
    }
    if (f.storedLayout() == org.sparsej.weights.StoredWeight.Layout.TWO_FOUR) {
      // 4132: decode reads 2:4 rows this long two at a time (AVX-512); its 2066 values leave a single-vector step
      // and a scalar tail for both 8- and 16-lane vectors.
      return new int[] {36, 772, 4132};
    }
    // 4123: dense decode reads rows this long four at a time; 4123 = 16k + 11 leaves the single-vector step and a
    // scalar tail for both 8- and 16-lane vectors.
    return new int[] {7, 771, 4123};
  }

  private static LinearWeight weight(WeightFormat f, int rows, int cols, RandomTensors random) {
    Tensor dense = random.uniform(rows, cols);
    Tensor mask = switch (f.storedLayout()) {
      case BITMASK -> SparsityMasks.random(rows, cols, 0.6, random.nextInt(1000));
      case TWO_FOUR -> SparsityMasks.twoFour(dense);
      default -> null;
    };
    return f.fromDense(dense, mask);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("isasAndFormats")
  void nativeRowsDoNotDependOnTheBatch(String isa, WeightFormat format) {
    Isa.with(isa, () -> {
      RandomTensors random = new RandomTensors(21);
      for (int cols : colsFor(format)) {
        int rows = cols > 1000 ? 9 : 19;  // 9: two groups of four rows and a lone one on one thread
        LinearWeight w = weight(format, rows, cols, random);
        Tensor x = random.uniform(MAX_BATCH, cols);
        Tensor alone = alone(w, x, cols, rows);
        for (int threads : THREADS) {
          try (CpuBackend cpu = new CpuBackend(threads)) {
            checkBatches(cpu, w, x, alone, isa + " " + format.id() + " " + threads + " threads");
          }
        }
      }
    });
  }

  /**
   * A batch big enough that the dense kernels' prefill path splits the rows into several blocks and the columns
   * into several blocks of accumulation (dense_tile_impl.h): at 300 tokens on one AVX-512 thread, blocks of 12 rows
   * and 416 columns, so 37 rows are three blocks and a lone row, 2071 columns five blocks, a lone vector and a tail.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("isasAndTiledFormats")
  void largeBatchesSplitIntoBlocksKeepTheRowsAlone(String isa, WeightFormat format) {
    Isa.with(isa, () -> {
      RandomTensors random = new RandomTensors(23);
      int rows = 37;
      int cols = 2071;
      int batch = 300;
      LinearWeight w = weight(format, rows, cols, random);
      Tensor x = random.uniform(batch, cols);
      try (CpuBackend one = new CpuBackend(1)) {
        Tensor alone = alone(one, w, x, cols, rows, batch);
        Tensor out = RandomTensors.poisoned(batch, rows);
        one.matmul(out, x, w, batch);
        assertSameBits(alone, out, 0, batch, rows, isa + " " + format.id() + " batch " + batch);
      }
    });
  }

  /** The formats whose batches run the tile kernel: dense, and bitmask with f32 activations (expanded panels). */
  static Stream<Arguments> isasAndTiledFormats() {
    return Isa.runnableWith(WeightFormat.DENSE_F32, WeightFormat.DENSE_BF16, WeightFormat.DENSE_F16,
        WeightFormat.DENSE_W8A16, WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_BITMASK_I8);
  }

  @Test
  void javaRowsDoNotDependOnTheBatch() {
    RandomTensors random = new RandomTensors(22);
    for (WeightFormat format : WeightFormat.values()) {
      int cols = colsFor(format)[1];
      LinearWeight w = weight(format, 9, cols, random);
      Tensor x = random.uniform(MAX_BATCH, cols);
      try (JavaBackend java = new JavaBackend(2)) {
        checkBatches(java, w, x, alone(java, w, x, cols, 9), "java " + format.id());
      }
    }
  }

  /** Each row of x multiplied on its own, on one thread: the results every batch must reproduce. */
  private static Tensor alone(LinearWeight w, Tensor x, int cols, int rows) {
    try (CpuBackend one = new CpuBackend(1)) {
      return alone(one, w, x, cols, rows);
    }
  }

  private static Tensor alone(Backend backend, LinearWeight w, Tensor x, int cols, int rows) {
    return alone(backend, w, x, cols, rows, MAX_BATCH);
  }

  private static Tensor alone(Backend backend, LinearWeight w, Tensor x, int cols, int rows, int tokens) {
    Tensor out = RandomTensors.poisoned(tokens, rows);
    for (int b = 0; b < tokens; b++) {
      backend.matmul(out.view((long) b * rows, 1, rows), x.view((long) b * cols, 1, cols), w, 1);
    }
    return out;
  }

  /** Batches 1..MAX_BATCH, each starting at a different row of x, against the rows alone, bit for bit. */
  private static void checkBatches(Backend backend, LinearWeight w, Tensor x, Tensor alone, String what) {
    int rows = w.rows();
    int cols = w.cols();
    for (int batch = 1; batch <= MAX_BATCH; batch++) {
      int first = (batch * 7) % (MAX_BATCH - batch + 1);
      Tensor out = RandomTensors.poisoned(batch, rows);
      backend.matmul(out, x.view((long) first * cols, batch, cols), w, batch);
      assertSameBits(alone, out, first, batch, rows, what + " cols " + cols + " batch " + batch);
    }
  }

  /** Rows [0, batch) of out against rows [first, first + batch) of alone, bit for bit. */
  private static void assertSameBits(Tensor alone, Tensor out, int first, int batch, int rows, String what) {
    for (int b = 0; b < batch; b++) {
      for (int r = 0; r < rows; r++) {
        float expected = alone.getFloat((long) (first + b) * rows + r);
        float actual = out.getFloat((long) b * rows + r);
        String where = what + " token " + (first + b) + " row " + r;
        assertFalse(Float.isNaN(actual), where + ": never written");
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
            where + ": " + actual + " batched, " + expected + " alone");
      }
    }
  }
}
