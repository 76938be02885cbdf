package org.sparsej.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;

/** Int8Quantization keeps the sparsity structure, rounds as Int8Quantizer does, and never makes a NaN. */
class Int8QuantizationTest {
  private static Tensor withZeroRow(Tensor dense, int row) {
    Tensor t = RandomTensors.copy(dense);
    for (int c = 0; c < t.dim(1); c++) {
      t.setFloat((long) row * t.dim(1) + c, 0f);
    }
    return t;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void keepsEachStructureAndOnlyChangesTheValues(boolean w8a8) {
    Tensor dense = withZeroRow(new RandomTensors(7).uniform(21, 44), 3);
    Tensor mask = SparsityMasks.random(21, 44, 0.6, 8);
    Precision p = w8a8 ? Precision.W8A8 : Precision.INT8;
    LinearWeight[] in = {WeightFormat.DENSE_F32.fromDense(dense, null),
        WeightFormat.SPARSE_BITMASK_F32.fromDense(dense, mask),
        WeightFormat.SPARSE_24_F32.fromDense(dense, SparsityMasks.twoFour(dense))};
    WeightFormat[] expected = w8a8
        ? new WeightFormat[] {WeightFormat.DENSE_W8A8, WeightFormat.SPARSE_BITMASK_W8A8, WeightFormat.SPARSE_24_W8A8}
        : new WeightFormat[] {WeightFormat.DENSE_W8A16, WeightFormat.SPARSE_BITMASK_I8, WeightFormat.SPARSE_24_I8};
    for (int k = 0; k < in.length; k++) {
      LinearWeight q = Int8Quantization.toInt8(in[k], w8a8);
      assertEquals(expected[k], q.format());
      StoredWeight a = in[k].stored();
      StoredWeight b = q.stored();
      assertEquals(a.layout(), b.layout());
      if (a.bitmask() != null) {
        assertEquals(a.bitmask().bytes(), b.bitmask().bytes(), "same kept positions");
      }
      // The same quantization as building the int8 format directly from the (masked) dense matrix.
      LinearWeight direct = expected[k].fromDense(in[k].toDense(), null);
      if (a.layout() == StoredWeight.Layout.DENSE) {
        assertEquals(direct.stored().values().bytes(), b.values().bytes());
      }
      assertEquals(a.values().size(), b.values().size(), "as many stored values");
      assertEquals(0f, b.scale(3, 0), "an all-zero row has scale 0");
      Tensor w = in[k].toDense();
      Tensor back = q.toDense();
      for (int r = 0; r < 21; r++) {
        float absMax = 0f;
        for (int c = 0; c < 44; c++) {
          absMax = Math.max(absMax, Math.abs(w.getFloat(r * 44 + c)));
        }
        assertEquals(absMax / 127f, b.scale(r, 0), 1e-9f, "row scale " + r);
        for (int c = 0; c < 44; c++) {
          float v = back.getFloat(r * 44 + c);
          assertTrue(Float.isFinite(v));
          assertEquals(w.getFloat(r * 44 + c), v, absMax / 254f + 1e-7f, "row " + r + " col " + c);
        }
      }
      assertEquals(p, b.precision());
    }
  }

  @Test
  void int8WeightsSwitchActivationsWithoutRequantizing() {
    Tensor dense = new RandomTensors(9).uniform(5, 64);
    LinearWeight a16 = WeightFormat.DENSE_W8A16.fromDense(dense, null);
    LinearWeight a8 = Int8Quantization.toInt8(a16, true);
    assertEquals(WeightFormat.DENSE_W8A8, a8.format());
    assertEquals(a16.stored().values().bytes(), a8.stored().values().bytes());
    assertEquals(a16.stored().scales().bytes(), a8.stored().scales().bytes());
    LinearWeight q8 = WeightFormat.Q8_0.fromDense(dense, null);  // grouped int8 is requantized per row
    assertEquals(WeightFormat.DENSE_W8A8, Int8Quantization.toInt8(q8, true).format());
  }

  @Test
  void prunedDenseWeightsBecomeSparseOnlyWhenAskedTo() {
    Tensor dense = new RandomTensors(10).uniform(8, 32);
    LinearWeight pruned = WeightFormat.DENSE_F32.fromDense(dense, SparsityMasks.random(8, 32, 0.5, 1));
    LinearWeight twoFour = WeightFormat.DENSE_F32.fromDense(dense, SparsityMasks.twoFour(dense));
    assertEquals(WeightFormat.DENSE_W8A8, Int8Quantization.toInt8(pruned, true).format());
    assertEquals(WeightFormat.SPARSE_BITMASK_W8A8, Int8Quantization.toInt8(pruned, true, true).format());
    assertEquals(WeightFormat.SPARSE_24_I8, Int8Quantization.toInt8(twoFour, false, true).format());
    LinearWeight plain = WeightFormat.DENSE_F32.fromDense(dense, null);
    assertEquals(WeightFormat.DENSE_W8A8, Int8Quantization.toInt8(plain, true, true).format());
    assertSame(plain, WeightFormat.sparseIfPruned(plain));
  }

  @Test
  void denseInt8ReferenceMatmulIsTheDequantizedProduct() {
    RandomTensors random = new RandomTensors(11);
    Tensor dense = withZeroRow(random.uniform(13, 37), 0);
    Tensor x = random.uniform(3, 37);
    for (WeightFormat f : new WeightFormat[] {WeightFormat.DENSE_W8A16, WeightFormat.DENSE_W8A8}) {
      DenseInt8Weight w = (DenseInt8Weight) f.fromDense(dense, null);
      Tensor out = RandomTensors.poisoned(3 * 13);
      w.referenceMatmul(out, x, 3, 0, 13);
      Tensor wd = w.toDense();
      Int8Quantizer.Rows xq = Int8Quantizer.quantizeRows(x, 3, 37);
      for (int b = 0; b < 3; b++) {
        for (int r = 0; r < 13; r++) {
          double expect = 0;
          for (int c = 0; c < 37; c++) {
            float xv = f == WeightFormat.DENSE_W8A8 ? xq.q()[b * 37 + c] * xq.scales()[b] : x.getFloat(b * 37 + c);
            expect += (double) wd.getFloat(r * 37 + c) * xv;
          }
          assertEquals(expect, out.getFloat(b * 13 + r), 1e-5, f + " b" + b + " r" + r);
        }
      }
      assertEquals(0f, out.getFloat(0), "the all-zero row gives 0, not NaN");
      assertEquals(13 * 37 + 13 * 8, w.residentBytes());
      assertEquals(DType.I8, w.values().dtype());
    }
  }
}
