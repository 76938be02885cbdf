package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * llama.cpp's Q8_0 matrix, kept as stored (a GGUF tensor is mapped, never expanded): each row of {@code cols}
 * weights is cols/32 blocks of 34 bytes, an f16 scale d then 32 int8 values q, with W[r][32k+j] = d·q[j].
 */
public final class Q8_0Weight implements LinearWeight {
  public static final int BLOCK = 32;
  public static final int BLOCK_BYTES = 34;

  private final Tensor blocks;  // I8 [rows * cols/32 * 34]
  private final int rows;
  private final int cols;

  public Q8_0Weight(Tensor blocks, int rows, int cols) {
    blocks.requireDType(DType.I8);
    if (cols % BLOCK != 0) {
      throw new SparsejException("Q8_0 weight needs a multiple of 32 columns, got " + cols);
    }
    if (blocks.size() != bytesFor(rows, cols)) {
      throw new SparsejException("Q8_0 weight [" + rows + "][" + cols + "] needs " + bytesFor(rows, cols)
          + " bytes, got " + blocks.size());
    }
    this.blocks = blocks;
    this.rows = rows;
    this.cols = cols;
  }

  public static long bytesFor(long rows, long cols) {
    return rows * (cols / BLOCK) * BLOCK_BYTES;
  }

  /** The raw blocks (34 bytes per 32 weights, row-major). */
  public Tensor blocks() {
    return blocks;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  @Override
  public WeightFormat format() {
    return WeightFormat.Q8_0;
  }

  @Override
  public long residentBytes() {
    return blocks.byteSize();
  }

  /** x · Wᵀ as llama.cpp computes it: x quantized to Q8_0 blocks ({@link Q8Activations}), int8 block dots. */
  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    Q8Activations a = Q8Activations.quantize(x, batch, cols);
    ByteBuffer w = blocks.bytes();
    int nb = cols / BLOCK;
    int[] q = new int[BLOCK];
    for (int r = r0; r < r1; r++) {
      int rowBase = r * nb * BLOCK_BYTES;
      for (int b = 0; b < batch; b++) {
        float sum = 0f;
        for (int k = 0; k < nb; k++) {
          int p = rowBase + k * BLOCK_BYTES;
          for (int j = 0; j < BLOCK; j++) {
            q[j] = w.get(p + 2 + j);
          }
          sum += a.block(b, cols, k, Halfs.f16ToF32(w.getShort(p)), q);
        }
        out.setFloat((long) b * rows + r, sum);
      }
    }
  }

  @Override
  public Tensor toDense() {
    Tensor dense = Tensor.allocate(DType.F32, rows, cols);
    ByteBuffer w = blocks.bytes();
    long nBlocks = (long) rows * (cols / BLOCK);
    for (long k = 0; k < nBlocks; k++) {
      int p = Math.toIntExact(k * BLOCK_BYTES);
      float d = Halfs.f16ToF32(w.getShort(p));
      for (int j = 0; j < BLOCK; j++) {
        dense.setFloat(k * BLOCK + j, d * w.get(p + 2 + j));
      }
    }
    return dense;
  }

  /** The int8 view of the blocks: values I8 [rows][cols] and f16 scales [rows][cols/32], copied. */
  @Override
  public StoredWeight stored() {
    int nb = cols / BLOCK;
    ByteBuffer b = blocks.bytes();
    Tensor values = Tensor.allocate(DType.I8, rows, cols);
    Tensor scales = Tensor.allocate(DType.F16, rows, nb);
    ByteBuffer v = values.bytes();
    ByteBuffer s = scales.bytes();
    for (int k = 0; k < rows * nb; k++) {
      int p = k * BLOCK_BYTES;
      s.putShort(2 * k, b.getShort(p));
      for (int j = 0; j < BLOCK; j++) {
        v.put(k * BLOCK + j, b.get(p + 2 + j));
      }
    }
    return StoredWeight.dense(values, scales, nb, Precision.INT8);
  }

  /** Repacks dense int8 values with group-32 f16 scales into Q8_0 blocks: the same numbers, bit for bit. */
  public static Q8_0Weight fromStored(StoredWeight s) {
    if (s.layout() != StoredWeight.Layout.DENSE || !s.int8() || s.groups() * BLOCK != s.cols()
        || s.scales().dtype() != DType.F16) {
      throw new IllegalArgumentException("Q8_0 needs dense int8 with group-32 f16 scales");
    }
    int rows = s.rows();
    int cols = s.cols();
    int nb = cols / BLOCK;
    long bytes = bytesFor(rows, cols);
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("Q8_0 weight of " + bytes + " bytes exceeds 2 GiB");
    }
    Tensor blocks = Tensor.allocate(DType.I8, (int) bytes);
    ByteBuffer out = blocks.bytes();
    ByteBuffer q = s.values().bytes();
    ByteBuffer d = s.scales().bytes();
    for (int k = 0; k < rows * nb; k++) {
      int p = k * BLOCK_BYTES;
      out.putShort(p, d.getShort(2 * k));
      for (int j = 0; j < BLOCK; j++) {
        out.put(p + 2 + j, q.get(k * BLOCK + j));
      }
    }
    return new Q8_0Weight(blocks, rows, cols);
  }

  /**
   * Quantizes an F32 [rows][cols] matrix as gguf-py and llama.cpp do: d = max|x|/127 per block,
   * q = round-half-away-from-zero(x · (1/d)), d stored as f16.
   */
  public static Q8_0Weight quantize(Tensor dense) {
    dense.requireDType(DType.F32);
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    if (cols % BLOCK != 0) {
      throw new SparsejException("Q8_0 needs a multiple of 32 columns, got " + cols);
    }
    long bytes = bytesFor(rows, cols);
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("Q8_0 weight of " + bytes + " bytes exceeds 2 GiB");
    }
    Tensor blocks = Tensor.allocate(DType.I8, (int) bytes);
    ByteBuffer out = blocks.bytes();
    long nBlocks = (long) rows * (cols / BLOCK);
    for (long k = 0; k < nBlocks; k++) {
      float amax = 0f;
      for (int j = 0; j < BLOCK; j++) {
        amax = Math.max(amax, Math.abs(dense.getFloat(k * BLOCK + j)));
      }
      float d = amax / 127f;
      float id = d == 0f ? 0f : 1f / d;
      int p = Math.toIntExact(k * BLOCK_BYTES);
      out.putShort(p, Halfs.f32ToF16(d));
      for (int j = 0; j < BLOCK; j++) {
        float v = dense.getFloat(k * BLOCK + j) * id;
        out.put(p + 2 + j, (byte) (v < 0 ? -Math.round(-v) : Math.round(v)));
      }
    }
    return new Q8_0Weight(blocks, rows, cols);
  }
}
