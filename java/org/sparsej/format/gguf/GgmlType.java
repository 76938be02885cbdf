package org.sparsej.format.gguf;

/**
 * ggml tensor types by their GGUF id, with block size and bytes per block. SparseJ reads F32, F16, BF16, Q8_0,
 * Q4_0 and the K-quants Q4_K, Q5_K, Q6_K (dequantized at load); the others are listed so an unsupported file is
 * named precisely.
 */
public enum GgmlType {
  F32(0, 1, 4, true), F16(1, 1, 2, true), Q4_0(2, 32, 18, true), Q4_1(3, 32, 20, false),
  Q5_0(6, 32, 22, false), Q5_1(7, 32, 24, false), Q8_0(8, 32, 34, true), Q8_1(9, 32, 36, false),
  Q2_K(10, 256, 84, false), Q3_K(11, 256, 110, false), Q4_K(12, 256, 144, true), Q5_K(13, 256, 176, true),
  Q6_K(14, 256, 210, true), Q8_K(15, 256, 292, false), IQ2_XXS(16, 256, 66, false), IQ2_XS(17, 256, 74, false),
  IQ3_XXS(18, 256, 98, false), IQ1_S(19, 256, 50, false), IQ4_NL(20, 32, 18, false), IQ3_S(21, 256, 110, false),
  IQ2_S(22, 256, 82, false), IQ4_XS(23, 256, 136, false), I8(24, 1, 1, false), I16(25, 1, 2, false),
  I32(26, 1, 4, false), I64(27, 1, 8, false), F64(28, 1, 8, false), IQ1_M(29, 256, 56, false),
  BF16(30, 1, 2, true);

  private final int id;
  private final int blockSize;
  private final int blockBytes;
  private final boolean supported;

  GgmlType(int id, int blockSize, int blockBytes, boolean supported) {
    this.id = id;
    this.blockSize = blockSize;
    this.blockBytes = blockBytes;
    this.supported = supported;
  }

  public int id() {
    return id;
  }

  public int blockSize() {
    return blockSize;
  }

  public int blockBytes() {
    return blockBytes;
  }

  /** SparseJ reads tensors of this type. */
  public boolean supported() {
    return supported;
  }

  /** SparseJ writes matrices of this type (the K-quants are read only). */
  public boolean writable() {
    return supported && blockSize < 256;
  }

  /** The type with this id, or null. */
  public static GgmlType byId(long id) {
    for (GgmlType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    return null;
  }
}
