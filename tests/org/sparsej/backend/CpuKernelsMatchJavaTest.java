package org.sparsej.backend;

import static org.sparsej.testing.TensorAssert.assertClose;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import java.util.Arrays;
import java.util.stream.Stream;
import org.sparsej.testing.Isa;
import org.sparsej.weights.DenseF32Weight;

/**
 * Every native op on every ISA this CPU runs against the Java oracle: random inputs, sizes that are not
 * multiples of any vector width, outputs poisoned with NaN before the kernel writes them.
 */
class CpuKernelsMatchJavaTest {
  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  static Stream<String> isas() {
    return Isa.runnable();
  }

  @ParameterizedTest
  @MethodSource("isas")
  void matmul(String isa) {
    RandomTensors random = new RandomTensors(1);
    int[][] shapes = {{1, 1, 1}, {1, 5, 7}, {3, 37, 33}, {17, 64, 100}, {2, 300, 288}, {1, 1031, 4099}};
    Isa.with(isa, () -> {
      for (int[] s : shapes) {
        int batch = s[0];
        int rows = s[1];
        int cols = s[2];
        DenseF32Weight w = new DenseF32Weight(random.uniform(rows, cols));
        Tensor x = random.uniform(batch, cols);
        Tensor expected = RandomTensors.poisoned(batch, rows);
        Tensor actual = RandomTensors.poisoned(batch, rows);
        kernels.oracle.matmul(expected, x, w, batch);
        kernels.cpu.matmul(actual, x, w, batch);
        assertClose(expected, actual, (long) batch * rows, 1e-4, isa + " matmul " + Arrays.toString(s));
      }
    });
  }

  @ParameterizedTest
  @MethodSource("isas")
  void rmsnorm(String isa) {
    RandomTensors random = new RandomTensors(2);
    Isa.with(isa, () -> {
      for (int dim : new int[] {1, 7, 17, 288, 1001}) {
        int batch = 3;
        Tensor x = random.uniform(batch, dim);
        Tensor weight = random.uniform(dim);
        Tensor expected = RandomTensors.poisoned(batch, dim);
        Tensor actual = RandomTensors.poisoned(batch, dim);
        kernels.oracle.rmsnorm(expected, x, weight, batch, dim, 1e-5f);
        kernels.cpu.rmsnorm(actual, x, weight, batch, dim, 1e-5f);
        assertClose(expected, actual, (long) batch * dim, 1e-5, isa + " rmsnorm dim " + dim);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("isas")
  void ropeBothLayouts(String isa) {
    RandomTensors random = new RandomTensors(3);
    Isa.with(isa, () -> {
      for (RopeStyle style : RopeStyle.values()) {
        int batch = 5;
        int heads = 6;
        int kvHeads = 2;
        int headSize = 10;
        Tensor q = random.uniform(batch, heads * headSize);
        Tensor k = random.uniform(batch, kvHeads * headSize);
        Tensor q2 = RandomTensors.copy(q);
        Tensor k2 = RandomTensors.copy(k);
        kernels.oracle.rope(q, k, batch, 37, heads, kvHeads, headSize, 10000f, style);
        kernels.cpu.rope(q2, k2, batch, 37, heads, kvHeads, headSize, 10000f, style);
        assertClose(q, q2, q.size(), 1e-5, isa + " rope q " + style);
        assertClose(k, k2, k.size(), 1e-5, isa + " rope k " + style);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("isas")
  void softmaxSwigluAdd(String isa) {
    RandomTensors random = new RandomTensors(4);
    Isa.with(isa, () -> {
      int n = 1027;
      Tensor a = random.uniform(n);
      Tensor b = RandomTensors.copy(a);
      kernels.oracle.softmax(a, n);
      kernels.cpu.softmax(b, n);
      assertClose(a, b, n, 1e-5, isa + " softmax");

      Tensor h1 = random.uniform(n);
      Tensor h3 = random.uniform(n);
      Tensor h1c = RandomTensors.copy(h1);
      kernels.oracle.swiglu(h1, h3, n);
      kernels.cpu.swiglu(h1c, h3, n);
      assertClose(h1, h1c, n, 1e-5, isa + " swiglu");

      Tensor x = random.uniform(n);
      Tensor xc = RandomTensors.copy(x);
      kernels.oracle.add(x, h3, n);
      kernels.cpu.add(xc, h3, n);
      assertClose(x, xc, n, 1e-6, isa + " add");
    });
  }

  @ParameterizedTest
  @MethodSource("isas")
  void groupedQueryAttention(String isa) {
    RandomTensors random = new RandomTensors(5);
    Isa.with(isa, () -> {
      int heads = 6;
      int kvHeads = 2;
      int headSize = 13;
      int seq = 40;
      for (int[] bp : new int[][] {{1, 0}, {1, 22}, {7, 0}, {9, 30}}) {
        int batch = bp[0];
        int pos0 = bp[1];
        Tensor q = random.uniform(batch, heads * headSize);
        Tensor keys = random.uniform(seq, kvHeads * headSize);
        Tensor values = random.uniform(seq, kvHeads * headSize);
        Tensor expected = RandomTensors.poisoned(batch, heads * headSize);
        Tensor actual = RandomTensors.poisoned(batch, heads * headSize);
        kernels.oracle.attention(expected, q, keys, values, batch, pos0, heads, kvHeads, headSize);
        kernels.cpu.attention(actual, q, keys, values, batch, pos0, heads, kvHeads, headSize);
        assertClose(expected, actual, expected.size(), 1e-5, isa + " attention batch " + batch + " pos " + pos0);
      }
    });
  }

  @org.junit.jupiter.api.Test
  void concurrentCallersShareThePoolSafely() throws Exception {
    // Four Java threads calling kernels at once: the pool runs one job at a time and the others run alone.
    RandomTensors random = new RandomTensors(6);
    DenseF32Weight w = new DenseF32Weight(random.uniform(257, 301));
    Tensor x = random.uniform(3, 301);
    Tensor expected = RandomTensors.poisoned(3, 257);
    kernels.oracle.matmul(expected, x, w, 3);
    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<Tensor>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 40; i++) {
        results.add(callers.submit(() -> {
          Tensor out = RandomTensors.poisoned(3, 257);
          kernels.cpu.matmul(out, x, w, 3);
          return out;
        }));
      }
      for (java.util.concurrent.Future<Tensor> result : results) {
        assertClose(expected, result.get(), expected.size(), 1e-4, "concurrent matmul");
      }
    } finally {
      callers.shutdown();
    }
  }
}
