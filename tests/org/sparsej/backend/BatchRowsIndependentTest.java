package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.DenseF32Weight;

/**
 * The engine's determinism rests on this: a row of a batched matmul is bit for bit the matmul of that row alone,
 * whatever else is in the batch (so a sequence decodes the same alone or batched). Every ISA, both backends, column
 * counts around every vector width, batches odd and even; dense, Q8_0 and the W8A8 sparse formats.
 */
class BatchRowsIndependentTest {
  private static JavaBackend java;
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    java = new JavaBackend(2);
    cpu = new CpuBackend(2);
  }

  @AfterAll
  static void close() {
    java.close();
    cpu.close();
  }

  static Stream<String> isas() {
    return Isa.runnable();
  }

  interface Format {
    org.sparsej.weights.LinearWeight make(Tensor dense, RandomTensors random);
  }

  private static void check(Backend backend, String what) {
    check(backend, what, new int[] {1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 100, 771},
        (dense, random) -> new DenseF32Weight(dense));
  }

  private static void check(Backend backend, String what, int[] colsList, Format format) {
    RandomTensors random = new RandomTensors(21);
    for (int cols : colsList) {
      for (int rows : new int[] {5, 37}) {
        org.sparsej.weights.LinearWeight w = format.make(random.uniform(rows, cols), random);
        for (int batch : new int[] {2, 3, 8, 9}) {
          Tensor x = random.uniform(batch, cols);
          Tensor out = RandomTensors.poisoned(batch, rows);
          backend.matmul(out, x, w, batch);
          for (int b = 0; b < batch; b++) {
            Tensor one = RandomTensors.poisoned(1, rows);
            backend.matmul(one, x.view((long) b * cols, 1, cols), w, 1);
            for (int r = 0; r < rows; r++) {
              assertEquals(one.getFloat(r), out.getFloat((long) b * rows + r), 0f,
                  what + " cols " + cols + " rows " + rows + " batch " + batch + " row " + b + " out " + r);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("isas")
  void nativeDenseRowsDoNotDependOnTheBatch(String isa) {
    Isa.with(isa, () -> check(cpu, isa));
  }

  @ParameterizedTest
  @MethodSource("isas")
  void nativeQ8_0RowsDoNotDependOnTheBatch(String isa) {
    Isa.with(isa, () -> check(cpu, isa + " q8_0", new int[] {32, 64, 96, 800},
        (dense, random) -> org.sparsej.weights.Q8_0Weight.quantize(dense)));
  }

  // W8A8 only, for now: the F32 and INT8 weight-only sparse kernels (bitmask and 2:4) sum a row in another order in
  // batches of 8 and more than alone, so a pruned model in those formats can decode differently when batched.
  // Found 2026-12-01 with this test; left to the sparse kernels' owner.
  @ParameterizedTest
  @MethodSource("isas")
  void nativeSparseW8a8RowsDoNotDependOnTheBatch(String isa) {
    org.sparsej.weights.Precision p = org.sparsej.weights.Precision.W8A8;
    Isa.with(isa, () -> check(cpu, isa + " bitmask " + p, new int[] {7, 33, 100, 771},
        (dense, random) -> org.sparsej.weights.BitmaskSparseWeight.fromDense(dense,
            org.sparsej.weights.SparsityMasks.random(dense.dim(0), dense.dim(1), 0.5, random.nextInt(1000)), p)));
    Isa.with(isa, () -> check(cpu, isa + " 2:4 " + p, new int[] {8, 36, 100, 772},
        (dense, random) -> org.sparsej.weights.Sparse24Weight.fromDense(dense,
            org.sparsej.weights.SparsityMasks.twoFour(dense), p)));
  }

  @org.junit.jupiter.api.Test
  void javaDenseRowsDoNotDependOnTheBatch() {
    check(java, "java");
  }
}
