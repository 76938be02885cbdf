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
 * counts around every vector width, batches odd and even.
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

  private static void check(Backend backend, String what) {
    RandomTensors random = new RandomTensors(21);
    int[] colsList = {1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 100, 771};
    for (int cols : colsList) {
      for (int rows : new int[] {5, 37}) {
        DenseF32Weight w = new DenseF32Weight(random.uniform(rows, cols));
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

  @org.junit.jupiter.api.Test
  void javaDenseRowsDoNotDependOnTheBatch() {
    check(java, "java");
  }
}
