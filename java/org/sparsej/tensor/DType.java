package org.sparsej.tensor;

/** Element types a {@link Tensor} can hold. */
public enum DType {
  F32(4),
  F16(2),
  BF16(2),
  I8(1),
  I32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }
}
