package org.sparsej.weights;

import java.nio.ByteBuffer;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * llama.cpp's Q8_0 matrix, kept as stored (a GGUF tensor is mapped, never expanded): each row of {@code cols}
 * weights is cols/32 blocks of 34 bytes, an f16 scale d then 32 int8 values q, with W[r][32k+j] = d·q[j].
 */
public final class Q8_0Weight extends GgmlBlockWeight {
  public static final int BLOCK_BYTES = 34;

  public Q8_0Weight(Tensor blocks, int rows, int cols) {
    super("Q8_0", BLOCK_BYTES, blocks, rows, cols);
  }

  public static long bytesFor(long rows, long cols) {
    return rows * (cols / BLOCK) * BLOCK_BYTES;
  }

  @Override
  public WeightFormat format() {
    return WeightFormat.Q8_0;
  }

  @Override
  int quant(ByteBuffer w, int p, int j) {
    return w.get(p + 2 + j);
  }

  /** Repacks dense int8 values with group-32 f16 scales into Q8_0 blocks: the same numbers, bit for bit. */
  public static Q8_0Weight fromStored(StoredWeight s) {
    requireGroup32(s, "Q8_0");
    ByteBuffer q = s.values().bytes();
    ByteBuffer d = s.scales().bytes();
    Tensor blocks = packBlocks("Q8_0", BLOCK_BYTES, s.rows(), s.cols(), (out, k, p) -> {
      out.putShort(p, d.getShort(Math.toIntExact(2 * k)));
      for (int j = 0; j < BLOCK; j++) {
        out.put(p + 2 + j, q.get(Math.toIntExact(k * BLOCK + j)));
      }
    });
    return new Q8_0Weight(blocks, s.rows(), s.cols());
  }

  /**
   * Quantizes an F32 [rows][cols] matrix as gguf-py and llama.cpp do: d = max|x|/127 per block,
   * q = round-half-away-from-zero(x · (1/d)), d stored as f16.
   */
  public static Q8_0Weight quantize(Tensor dense) {
    dense.requireDType(DType.F32);
    Tensor blocks = packBlocks("Q8_0", BLOCK_BYTES, dense.dim(0), dense.dim(1), (out, k, p) -> {
      float amax = 0f;
      for (int j = 0; j < BLOCK; j++) {
        amax = Math.max(amax, Math.abs(dense.getFloat(k * BLOCK + j)));
      }
      float d = amax / 127f;
      float id = d == 0f ? 0f : 1f / d;
      out.putShort(p, Halfs.f32ToF16(d));
      for (int j = 0; j < BLOCK; j++) {
        float v = dense.getFloat(k * BLOCK + j) * id;
        out.put(p + 2 + j, (byte) (v < 0 ? -Math.round(-v) : Math.round(v)));
      }
    });
    return new Q8_0Weight(blocks, dense.dim(0), dense.dim(1));
  }
}
