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
 * Its int8 view holds values in [-8, 7] (Q8_0's view, with a narrower range: {@link WeightFormat#forStored} tells
 * them apart by it).
 */
public final class Q4_0Weight extends GgmlBlockWeight {
  public static final int BLOCK_BYTES = 18;

  public Q4_0Weight(Tensor blocks, int rows, int cols) {
    super("Q4_0", BLOCK_BYTES, blocks, rows, cols);
  }

  public static long bytesFor(long rows, long cols) {
    return rows * (cols / BLOCK) * BLOCK_BYTES;
  }

  @Override
  public WeightFormat format() {
    return WeightFormat.Q4_0;
  }

  /** A nibble minus 8, in [-8, 7]. */
  @Override
  int quant(ByteBuffer w, int p, int j) {
    int b = w.get(p + 2 + (j & 15)) & 0xff;
    return (j < 16 ? b & 0x0f : b >>> 4) - 8;
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
    requireGroup32(s, "Q4_0");
    ByteBuffer q = s.values().bytes();
    ByteBuffer d = s.scales().bytes();
    Tensor blocks = packBlocks("Q4_0", BLOCK_BYTES, s.rows(), s.cols(), (out, k, p) -> {
      out.putShort(p, d.getShort(Math.toIntExact(2 * k)));
      int base = Math.toIntExact(k * BLOCK);
      for (int j = 0; j < 16; j++) {
        int lo = q.get(base + j);
        int hi = q.get(base + 16 + j);
        if (lo < -8 || lo > 7 || hi < -8 || hi > 7) {
          throw new SparsejException("Q4_0 needs values in [-8, 7], got " + (lo < -8 || lo > 7 ? lo : hi));
        }
        out.put(p + 2 + j, (byte) ((lo + 8) | (hi + 8) << 4));
      }
    });
    return new Q4_0Weight(blocks, s.rows(), s.cols());
  }

  /**
   * Quantizes an F32 [rows][cols] matrix as ggml's quantize_row_q4_0_ref does: d = (the value of largest
   * magnitude) / −8 per block, q = min(15, trunc(x/d + 8.5)), d stored as f16.
   */
  public static Q4_0Weight quantize(Tensor dense) {
    dense.requireDType(DType.F32);
    Tensor blocks = packBlocks("Q4_0", BLOCK_BYTES, dense.dim(0), dense.dim(1), (out, k, p) -> {
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
      out.putShort(p, Halfs.f32ToF16(d));
      for (int j = 0; j < 16; j++) {
        int x0 = Math.min(15, (int) (dense.getFloat(k * BLOCK + j) * id + 8.5f));
        int x1 = Math.min(15, (int) (dense.getFloat(k * BLOCK + 16 + j) * id + 8.5f));
        out.put(p + 2 + j, (byte) (x0 | (x1 << 4)));
      }
    });
    return new Q4_0Weight(blocks, dense.dim(0), dense.dim(1));
  }
}
