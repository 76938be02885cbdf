package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.DenseHalfWeight;
import org.sparsej.weights.LinearWeight;

/**
 * BF16 and F16 weights kept as stored, on every ISA this CPU runs: against the Java reference (odd sizes, every
 * batch from 1 to 70, NaN-poisoned outputs), bit for bit against the F32 kernel on the widened weights where the
 * kernel widens in registers, batch-independent rows, and every special 16-bit value widened as Java widens it.
 */
class HalfKernelsMatchJavaTest {
  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  static Stream<String> isas() {
    return Isa.runnable();
  }

  private static final DType[] HALVES = {DType.BF16, DType.F16};
  // batch, rows, cols: rows not multiples of 4, cols not multiples of any vector width
  private static final int[][] SHAPES = {{1, 1, 1}, {1, 5, 7}, {3, 37, 33}, {17, 64, 100}, {2, 301, 288},
      {1, 1031, 4099}};

  @ParameterizedTest
  @MethodSource("isas")
  void nativeMatchesReference(String isa) {
    RandomTensors random = new RandomTensors(21);
    Isa.with(isa, () -> {
      for (DType d : HALVES) {
        double tol = 1e-5;
        for (int[] s : SHAPES) {
          DenseHalfWeight w = DenseHalfWeight.round(random.uniform(s[1], s[2]), d);
          int[] batches = s[2] <= 288 ? new int[] {s[0], 1, 3, 17, 70} : new int[] {s[0]};
          kernels.check(w, random, batches, tol, isa + " " + d + " matmul " + Arrays.toString(s));
        }
        DenseHalfWeight w = DenseHalfWeight.round(random.uniform(37, 45), d);
        int[] every = java.util.stream.IntStream.rangeClosed(1, 70).toArray();
        kernels.check(w, random, every, tol, isa + " " + d + " matmul 37x45");
      }
    });
  }

  @ParameterizedTest
  @MethodSource("isas")
  void widenedInRegistersEqualsTheF32Kernel(String isa) {
    RandomTensors random = new RandomTensors(22);
    Isa.with(isa, () -> {
      for (DType d : HALVES) {
        for (int[] s : SHAPES) {
          DenseHalfWeight h = DenseHalfWeight.round(random.uniform(s[1], s[2]), d);
          for (int batch : new int[] {1, s[0], 9}) {
            Tensor x = random.uniform(batch, s[2]);
            assertSame(run(new DenseF32Weight(h.toDense()), x, batch), run(h, x, batch), (long) batch * s[1],
                isa + " " + d + " vs f32 " + Arrays.toString(s) + " batch " + batch);
          }
        }
      }
    });
  }

  @ParameterizedTest
  @MethodSource("isas")
  void rowsDoNotDependOnTheBatch(String isa) {
    RandomTensors random = new RandomTensors(23);
    Isa.with(isa, () -> {
      for (DType d : HALVES) {
        for (int cols : new int[] {7, 33, 100, 771}) {
          DenseHalfWeight w = DenseHalfWeight.round(random.uniform(23, cols), d);
          int batch = 70;
          Tensor x = random.uniform(batch, cols);
          Tensor all = run(w, x, batch);
          for (int b = 0; b < batch; b++) {
            Tensor one = run(w, x.view((long) b * cols, 1, cols), 1);
            assertSame(one, all.view((long) b * w.rows(), 1, w.rows()), w.rows(),
                isa + " " + d + " cols " + cols + " row " + b);
          }
        }
      }
    });
  }

  /**
   * Every finite 16-bit pattern class (zeros, subnormals, normals, max) widens as Halfs does: x one-hot per column
   * (an infinite or NaN weight would make every dot NaN through inf · 0, so those are left out).
   */
  @ParameterizedTest
  @MethodSource("isas")
  void specialValuesWidenExactly(String isa) {
    short[] bits = {0x0000, (short) 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, (short) 0xbc00, 0x7bff, 0x7c00,
        (short) 0xfc00, 0x0080, 0x3f80, (short) 0xbf80, 0x7f7f, 0x007f, 0x1234, 0x4321, 0x5555, (short) 0xaaaa};
    Isa.with(isa, () -> {
      for (DType d : HALVES) {
        short[] finite = new short[bits.length];
        int n = 0;
        for (short b : bits) {
          float v = d == DType.BF16 ? org.sparsej.format.Halfs.bf16ToF32(b) : org.sparsej.format.Halfs.f16ToF32(b);
          if (Float.isFinite(v)) {
            finite[n++] = b;
          }
        }
        Tensor values = Tensor.allocate(d, 1, n);
        for (int i = 0; i < n; i++) {
          values.bytes().putShort(2 * i, finite[i]);
        }
        DenseHalfWeight w = new DenseHalfWeight(values);
        Tensor x = Tensor.allocate(DType.F32, n, n);
        for (int i = 0; i < n; i++) {
          x.setFloat((long) i * n + i, 1f);
        }
        Tensor out = run(w, x, n);
        Tensor expected = w.toDense();
        for (int i = 0; i < n; i++) {
          float e = expected.getFloat(i);
          float a = out.getFloat(i);
          assertEquals(Float.floatToIntBits(e + 0f), Float.floatToIntBits(a + 0f),
              isa + " " + d + " bits 0x" + Integer.toHexString(finite[i] & 0xffff));
        }
      }
    });
  }

  @Test
  void referenceEqualsTheF32ReferenceOnWidenedWeights() {
    RandomTensors random = new RandomTensors(24);
    for (DType d : HALVES) {
      for (int[] s : SHAPES) {
        DenseHalfWeight h = DenseHalfWeight.round(random.uniform(s[1], s[2]), d);
        Tensor x = random.uniform(s[0], s[2]);
        Tensor expected = RandomTensors.poisoned(s[0], s[1]);
        Tensor actual = RandomTensors.poisoned(s[0], s[1]);
        kernels.oracle.matmul(expected, x, new DenseF32Weight(h.toDense()), s[0]);
        kernels.oracle.matmul(actual, x, h, s[0]);
        assertSame(expected, actual, (long) s[0] * s[1], d + " reference " + Arrays.toString(s));
      }
    }
  }

  private static Tensor run(LinearWeight w, Tensor x, int batch) {
    Tensor out = RandomTensors.poisoned(batch, w.rows());
    kernels.cpu.matmul(out, x, w, batch);
    return out;
  }

  private static void assertSame(Tensor expected, Tensor actual, long n, String what) {
    for (long i = 0; i < n; i++) {
      assertEquals(Float.floatToIntBits(expected.getFloat(i)), Float.floatToIntBits(actual.getFloat(i)),
          what + ": element " + i + " (" + expected.getFloat(i) + " vs " + actual.getFloat(i) + ")");
    }
  }
}
