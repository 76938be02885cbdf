package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * ggml's block formats (Q8_0, Q4_0), kept as stored: each row of {@code cols} weights is cols/32 blocks, an f16
 * scale d then the block's 32 values packed as the subclass says ({@link #quant}), with W[r][32k+j] = d·q[j]. What
 * the formats share lives here: the size checks, the Java reference (activations quantized to Q8_0 blocks as
 * llama.cpp does), the dense and int8 views, and the packing loop.
 */
public abstract class GgmlBlockWeight extends HostWeight {
  public static final int BLOCK = 32;

  private final String name;
  private final int blockBytes;
  private final Tensor blocks;  // I8 [rows * cols/32 * blockBytes]

  GgmlBlockWeight(String name, int blockBytes, Tensor blocks, int rows, int cols) {
    super(rows, cols);
    blocks.requireDType(DType.I8);
    if (cols % BLOCK != 0) {
      throw new SparsejException(name + " weight needs a multiple of 32 columns, got " + cols);
    }
    long need = (long) rows * (cols / BLOCK) * blockBytes;
    if (blocks.size() != need) {
      throw new SparsejException(name + " weight [" + rows + "][" + cols + "] needs " + need + " bytes, got "
          + blocks.size());
    }
    this.name = name;
    this.blockBytes = blockBytes;
    this.blocks = blocks;
  }

  /** Value j (0..31) of the block starting at byte p, without its scale. */
  abstract int quant(ByteBuffer w, int p, int j);

  /** The raw blocks, row-major. */
  public Tensor blocks() {
    return blocks;
  }

  @Override
  Tensor[] residentTensors() {
    return new Tensor[] {blocks};
  }

  /** x · Wᵀ as llama.cpp computes it: x quantized to Q8_0 blocks ({@link Q8Activations}), int8 block dots. */
  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    Q8Activations a = Q8Activations.quantize(x, batch, cols);
    ByteBuffer w = blocks.bytes();
    int nb = cols / BLOCK;
    int[] q = new int[BLOCK];
    for (int r = r0; r < r1; r++) {
      int rowBase = r * nb * blockBytes;
      for (int b = 0; b < batch; b++) {
        float sum = 0f;
        for (int k = 0; k < nb; k++) {
          int p = rowBase + k * blockBytes;
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
      int p = Math.toIntExact(k * blockBytes);
      float d = Halfs.f16ToF32(w.getShort(p));
      for (int j = 0; j < BLOCK; j++) {
        dense.setFloat(k * BLOCK + j, d * quant(w, p, j));
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
      int p = k * blockBytes;
      s.putShort(2 * k, b.getShort(p));
      for (int j = 0; j < BLOCK; j++) {
        v.put(k * BLOCK + j, (byte) quant(b, p, j));
      }
    }
    return StoredWeight.dense(values, scales, nb, Precision.INT8);
  }

  /** Fills one block: its f16 scale at byte p, then its packed values. */
  interface BlockPacker {
    void pack(ByteBuffer out, long block, int p);
  }

  /** rows × cols/32 fresh blocks of {@code blockBytes}, each filled by {@code packer}. */
  static Tensor packBlocks(String name, int blockBytes, int rows, int cols, BlockPacker packer) {
    if (cols % BLOCK != 0) {
      throw new SparsejException(name + " needs a multiple of 32 columns, got " + cols);
    }
    long bytes = (long) rows * (cols / BLOCK) * blockBytes;
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException(name + " weight of " + bytes + " bytes exceeds 2 GiB");
    }
    Tensor blocks = Tensor.allocate(DType.I8, (int) bytes);
    ByteBuffer out = blocks.bytes();
    long nBlocks = (long) rows * (cols / BLOCK);
    for (long k = 0; k < nBlocks; k++) {
      packer.pack(out, k, Math.toIntExact(k * blockBytes));
    }
    return blocks;
  }

  /** Refuses a stored weight that is not dense int8 with one f16 scale per 32 values. */
  static void requireGroup32(StoredWeight s, String name) {
    if (s.layout() != StoredWeight.Layout.DENSE || !s.int8() || s.groups() * BLOCK != s.cols()
        || s.scales().dtype() != DType.F16) {
      throw new IllegalArgumentException(name + " needs dense int8 with group-32 f16 scales");
    }
  }
}
