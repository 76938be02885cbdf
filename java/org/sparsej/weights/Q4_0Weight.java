package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * llama.cpp's Q4_0 matrix, kept as stored (a GGUF tensor is mapped, never expanded): each row of {@code cols}
 * weights is cols/32 blocks of 18 bytes, an f16 scale d then 16 bytes qs, with
 * W[r][32k+j] = d·((qs[j] &amp; 15) − 8) and W[r][32k+16+j] = d·((qs[j] &gt;&gt; 4) − 8) for j &lt; 16.
 */
public final class Q4_0Weight implements LinearWeight {
  public static final int BLOCK = 32;
  public static final int BLOCK_BYTES = 18;

  private final Tensor blocks;  // I8 [rows * cols/32 * 18]
  private final int rows;
  private final int cols;

  public Q4_0Weight(Tensor blocks, int rows, int cols) {
    blocks.requireDType(DType.I8);
    if (cols % BLOCK != 0) {
      throw new SparsejException("Q4_0 weight needs a multiple of 32 columns, got " + cols);
    }
    if (blocks.size() != bytesFor(rows, cols)) {
      throw new SparsejException("Q4_0 weight [" + rows + "][" + cols + "] needs " + bytesFor(rows, cols)
          + " bytes, got " + blocks.size());
    }
    this.blocks = blocks;
    this.rows = rows;
    this.cols = cols;
  }

  public static long bytesFor(long rows, long cols) {
    return rows * (cols / BLOCK) * BLOCK_BYTES;
  }

  /** The raw blocks (18 bytes per 32 weights, row-major). */
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
    return WeightFormat.Q4_0;
  }

  @Override
  public long residentBytes() {
    return blocks.byteSize();
  }

  /** Value j (0..31) of the block at byte p, without its scale: a nibble minus 8, in [-8, 7]. */
  static int quant(ByteBuffer w, int p, int j) {
    int b = w.get(p + 2 + (j & 15)) & 0xff;
    return (j < 16 ? b & 0x0f : b >>> 4) - 8;
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
            q[j] = quant(w, p, j);
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
        dense.setFloat(k * BLOCK + j, d * quant(w, p, j));
      }
    }
    return dense;
  }

  /**
   * The int8 view: values in [-8, 7] as I8 [rows][cols] with f16 scales [rows][cols/32], copied (Q8_0's view, with
   * a narrower range: {@link WeightFormat#forStored} tells them apart by it).
   */
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
        v.put(k * BLOCK + j, (byte) quant(b, p, j));
      }
    }
    return StoredWeight.dense(values, scales, nb, Precision.INT8);
  }

  /**
   * Whether a dense int8 weight's values all lie in [-8, 7], so Q4_0 holds it exactly. A Q8_0 matrix fails at its
   * first block (its largest value is ±127), so the scan costs nothing there.
   */
  static boolean holds(StoredWeight s) {
    if (s.layout() != StoredWeight.Layout.DENSE || !s.int8()) {
      return false;
    }
    ByteBuffer q = s.values().bytes();
    for (long i = 0, n = s.values().size(); i < n; i++) {
      int v = q.get(Math.toIntExact(i));
      if (v < -8 || v > 7) {
        return false;
      }
    }
    return true;
  }

  /** Packs dense int8 values in [-8, 7] with group-32 f16 scales into Q4_0 blocks: the same numbers. */
  public static Q4_0Weight fromStored(StoredWeight s) {
    if (s.layout() != StoredWeight.Layout.DENSE || !s.int8() || s.groups() * BLOCK != s.cols()
        || s.scales().dtype() != DType.F16) {
      throw new IllegalArgumentException("Q4_0 needs dense int8 with group-32 f16 scales");
    }
    int rows = s.rows();
    int cols = s.cols();
    long bytes = bytesFor(rows, cols);
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("Q4_0 weight of " + bytes + " bytes exceeds 2 GiB");
    }
    Tensor blocks = Tensor.allocate(DType.I8, (int) bytes);
    ByteBuffer out = blocks.bytes();
    ByteBuffer q = s.values().bytes();
    ByteBuffer d = s.scales().bytes();
    for (int k = 0; k < rows * (cols / BLOCK); k++) {
      int p = k * BLOCK_BYTES;
      out.putShort(p, d.getShort(2 * k));
      for (int j = 0; j < 16; j++) {
        int lo = q.get(k * BLOCK + j);
        int hi = q.get(k * BLOCK + 16 + j);
        if (lo < -8 || lo > 7 || hi < -8 || hi > 7) {
          throw new SparsejException("Q4_0 needs values in [-8, 7], got " + (lo < -8 || lo > 7 ? lo : hi));
        }
        out.put(p + 2 + j, (byte) ((lo + 8) | (hi + 8) << 4));
      }
    }
    return new Q4_0Weight(blocks, rows, cols);
  }

  /**
   * Quantizes an F32 [rows][cols] matrix as ggml's quantize_row_q4_0_ref does: d = (the value of largest
   * magnitude) / −8 per block, q = min(15, trunc(x/d + 8.5)), d stored as f16.
   */
  public static Q4_0Weight quantize(Tensor dense) {
    dense.requireDType(DType.F32);
    int rows = dense.dim(0);
    int cols = dense.dim(1);
    if (cols % BLOCK != 0) {
      throw new SparsejException("Q4_0 needs a multiple of 32 columns, got " + cols);
    }
    long bytes = bytesFor(rows, cols);
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("Q4_0 weight of " + bytes + " bytes exceeds 2 GiB");
    }
    Tensor blocks = Tensor.allocate(DType.I8, (int) bytes);
    ByteBuffer out = blocks.bytes();
    long nBlocks = (long) rows * (cols / BLOCK);
    for (long k = 0; k < nBlocks; k++) {
      float amax = 0f;
      float max = 0f;
      for (int j = 0; j < BLOCK; j++) {
        float v = dense.getFloat(k * BLOCK + j);
        if (amax < Math.abs(v)) {
          amax = Math.abs(v);
          max = v;
        }
      }
      float d = max / -8f;
      float id = d != 0f ? 1f / d : 0f;
      int p = Math.toIntExact(k * BLOCK_BYTES);
      out.putShort(p, Halfs.f32ToF16(d));
      for (int j = 0; j < 16; j++) {
        int x0 = Math.min(15, (int) (dense.getFloat(k * BLOCK + j) * id + 8.5f));
        int x1 = Math.min(15, (int) (dense.getFloat(k * BLOCK + 16 + j) * id + 8.5f));
        out.put(p + 2 + j, (byte) (x0 | (x1 << 4)));
      }
    }
    return new Q4_0Weight(blocks, rows, cols);
  }
}
