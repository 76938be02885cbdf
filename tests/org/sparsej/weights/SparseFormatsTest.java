package org.sparsej.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsej.backend.CpuBackend;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.util.SparsejException;

/** Conversions to and from dense, the compressed-tensors layout, resident size, and one-line errors on bad input. */
class SparseFormatsTest {
  private static Tensor masked(Tensor dense, Tensor mask) {
    Tensor m = RandomTensors.copy(dense);
    for (long i = 0; i < m.size(); i++) {
      if (mask.bytes().get((int) i) == 0) {
        m.setFloat(i, 0f);
      }
    }
    return m;
  }

  private static void assertDenseClose(Tensor expected, Tensor actual, double tol) {
    assertArrayEquals(expected.shape(), actual.shape());
    for (long i = 0; i < expected.size(); i++) {
      assertEquals(expected.getFloat(i), actual.getFloat(i), tol, "element " + i);
    }
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void bitmaskRoundTripsThroughDense(Precision precision) {
    Tensor dense = new RandomTensors(1).uniform(19, 45);
    Tensor mask = SparsityMasks.random(19, 45, 0.6, 3);
    BitmaskSparseWeight w = BitmaskSparseWeight.fromDense(dense, mask, precision);
    // int8 rounds each kept value by at most half a step, and |w| <= 1 gives a step <= 1/127.
    assertDenseClose(masked(dense, mask), w.toDense(), precision == Precision.F32 ? 0 : 0.5 / 127 + 1e-7);
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void sparse24RoundTripsThroughDense(Precision precision) {
    Tensor dense = new RandomTensors(2).uniform(9, 48);
    Tensor mask = SparsityMasks.twoFour(dense);
    Sparse24Weight w = Sparse24Weight.fromDense(dense, mask, precision);
    assertDenseClose(masked(dense, mask), w.toDense(), precision == Precision.F32 ? 0 : 0.5 / 127 + 1e-7);
    assertEquals(1.0, w.indexBitsPerWeight(), 1e-9);
  }

  @Test
  void bitmaskMatchesCompressedTensorsLayout() {
    // Row 0 keeps columns 1 and 8, row 1 keeps column 9: numpy.packbits(bitorder="little") gives
    // row 0 = [0b00000010, 0b00000001], row 1 = [0, 0b00000010]; row_offsets = [0, 2].
    Tensor dense = Tensor.of(new float[] {0, 1.5f, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3f, 0}, 2, 11);
    BitmaskSparseWeight w = BitmaskSparseWeight.fromDense(dense, Precision.F32);
    Map<String, Tensor> t = w.compressedTensors();
    byte[] bits = new byte[4];
    t.get("bitmask").bytes().get(bits);
    assertArrayEquals(new byte[] {2, 1, 0, 2}, bits);
    assertArrayEquals(new float[] {1.5f, 2f, -3f}, t.get("compressed").toFloatArray());
    assertEquals(0, t.get("row_offsets").bytes().getInt(0));
    assertEquals(2, t.get("row_offsets").bytes().getInt(4));
    assertEquals(11, t.get("shape").bytes().getInt(4));
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void compressedTensorsPartsRebuildTheSameWeight(Precision precision) {
    Tensor dense = new RandomTensors(4).uniform(13, 70);
    BitmaskSparseWeight w = BitmaskSparseWeight.fromDense(dense, SparsityMasks.random(13, 70, 0.7, 5), precision);
    Map<String, Tensor> t = w.compressedTensors();
    BitmaskSparseWeight back = BitmaskSparseWeight.fromCompressed(13, 70, t.get("compressed"), t.get("bitmask"),
        t.get("row_offsets"), t.get("weight_scale"), precision);
    assertDenseClose(w.toDense(), back.toDense(), 0);
  }

  @Test
  void residentMemoryIsValuesPlusAboutOneBitPerWeight() {
    int rows = 256;
    int cols = 1024;
    Tensor dense = new RandomTensors(5).uniform(rows, cols);
    for (Precision p : Precision.values()) {
      BitmaskSparseWeight w = BitmaskSparseWeight.fromDense(dense, SparsityMasks.random(rows, cols, 0.7, 6), p);
      double scaleBits = p.int8Values() ? 32.0 * rows : 0;
      double indexBits = w.residentBytes() * 8.0 - (double) w.nonZeros() * 8 * p.valueBytes() - scaleBits;
      assertTrue(indexBits / ((double) rows * cols) <= 1.1, p + ": " + indexBits / rows / cols + " index bits");
    }
  }

  @Test
  void bitmaskWithWrongPopulationCountIsRejected() {
    BitmaskSparseWeight w = BitmaskSparseWeight.fromDense(new RandomTensors(6).uniform(4, 16),
        SparsityMasks.random(4, 16, 0.5, 1), Precision.F32);
    Map<String, Tensor> t = w.compressedTensors();
    Tensor fewer = t.get("compressed").view(0, w.nonZeros() - 1);
    SparsejException e = assertThrows(SparsejException.class,
        () -> BitmaskSparseWeight.fromCompressed(4, 16, fewer, t.get("bitmask"), null, null, Precision.F32));
    String expected = "keeps " + w.nonZeros() + " weights but " + (w.nonZeros() - 1);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void bitmaskWithBitsPastTheLastColumnIsRejected() {
    Tensor bits = Tensor.allocate(DType.I8, 1, 2);
    bits.bytes().put(1, (byte) 0x80);  // column 15 of a 10-column row
    Tensor values = Tensor.of(new float[] {1f}, 1);
    assertThrows(SparsejException.class,
        () -> BitmaskSparseWeight.fromCompressed(1, 10, values, bits, null, null, Precision.F32));
  }

  @Test
  void denseThatViolates24IsRejected() {
    Tensor dense = Tensor.of(new float[] {1, 0, 0, 0, 1, 1, 1, 0}, 1, 8);
    SparsejException e = assertThrows(SparsejException.class, () -> Sparse24Weight.fromDense(dense, Precision.F32));
    assertTrue(e.getMessage().contains("row 0, columns 4..7"), e.getMessage());
  }

  @Test
  void columnsNotInGroupsOfFourAreRejected() {
    Tensor dense = new RandomTensors(7).uniform(3, 10);
    SparsejException e = assertThrows(SparsejException.class,
        () -> Sparse24Weight.fromDense(dense, SparsityMasks.random(3, 10, 0.9, 1), Precision.INT8));
    assertTrue(e.getMessage().contains("10 columns do not divide into groups of 4"), e.getMessage());
  }

  @Test
  void sparse24IndicesThatRepeatAColumnAreRejected() {
    Tensor values = Tensor.of(new float[] {1f, 2f}, 1, 2);
    Tensor indices = Tensor.allocate(DType.I8, 1, 1);
    indices.bytes().put(0, (byte) 0b0101);  // both values claim column 1
    assertThrows(SparsejException.class,
        () -> Sparse24Weight.fromParts(1, 4, values, indices, null, Precision.F32));
  }

  @Test
  void mismatchedActivationsAreRejectedBeforeNativeCode() {
    Sparse24Weight w = Sparse24Weight.fromDense(Tensor.of(new float[] {1, 0, 2, 0}, 1, 4), Precision.F32);
    try (CpuBackend cpu = new CpuBackend(1)) {
      Tensor x = Tensor.allocate(DType.F32, 3);  // needs 4
      assertThrows(SparsejException.class, () -> cpu.matmul(Tensor.allocate(DType.F32, 1), x, w, 1));
    }
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void sparse24BitmaskPartsRebuildTheSameWeight(Precision precision) {
    // compressed-tensors' sparse-24-bitmask: values [rows][cols/2] and 2 mask bits per group, no dense copy.
    Tensor dense = new RandomTensors(8).uniform(11, 40);
    Sparse24Weight w = Sparse24Weight.fromDense(dense, SparsityMasks.twoFour(dense), precision);
    StoredWeight s = w.stored();
    assertEquals(StoredWeight.Layout.TWO_FOUR, s.layout());
    for (int r = 0; r < 11; r++) {
      for (int g = 0; g < 10; g++) {
        int nibble = (s.bitmask().bytes().get(r * 5 + g / 2) >> (4 * (g & 1))) & 0xf;
        assertEquals(2, Integer.bitCount(nibble), "row " + r + " group " + g);
      }
    }
    LinearWeight back = WeightFormat.decode(s);
    assertEquals(w.format(), back.format());
    assertEquals(w.toDense().bytes(), back.toDense().bytes());
    assertEquals(w.indices().bytes(), ((Sparse24Weight) back).indices().bytes());
  }

  @Test
  void sparse24BitmaskWithThreeBitsInAGroupIsRejected() {
    Tensor values = Tensor.of(new float[] {1f, 2f}, 1, 2);
    Tensor bits = Tensor.allocate(DType.I8, 1, 1);
    bits.bytes().put(0, (byte) 0b0111);
    SparsejException e = assertThrows(SparsejException.class,
        () -> Sparse24Weight.fromBitmask(1, 4, values, bits, null, Precision.F32));
    assertTrue(e.getMessage().contains("keep 3 weights, not 2"), e.getMessage());
  }
}
