package org.sparsej.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.sparsej.backend.RopeStyle;
import org.sparsej.tensor.OffHeapMemory;

/**
 * Reorders the rows of a q or k projection between the two RoPE layouts. Within each head of headSize rows,
 * interleaved row 2i+j (j = 0, 1) is rotate-half row j·headSize/2 + i: llama.cpp's convert script applies this
 * permutation to Hugging Face weights, and SparseJ applies it (or its inverse) when converting between formats.
 * Rows are opaque byte strings here, so it works for F32 rows and Q8_0 block rows alike.
 */
public final class QkPermutation {
  private QkPermutation() {}

  /** The source row that lands at row {@code r} of the permuted matrix. */
  public static int sourceRow(int r, int headSize, RopeStyle from, RopeStyle to) {
    if (from == to) {
      return r;
    }
    int head = r / headSize;
    int k = r % headSize;
    int half = headSize / 2;
    if (to == RopeStyle.INTERLEAVED) {  // destination row 2i+j comes from half-layout row j*half + i
      return head * headSize + (k % 2) * half + k / 2;
    }
    return head * headSize + 2 * (k % half) + k / half;  // destination row j*half+i comes from interleaved 2i+j
  }

  /** A copy of rows (rowBytes each) in the other layout, in a fresh off-heap buffer. */
  public static ByteBuffer permute(ByteBuffer rows, int nRows, int rowBytes, int headSize, RopeStyle from,
                                   RopeStyle to) {
    ByteBuffer out = OffHeapMemory.directBuffer(nRows * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int r = 0; r < nRows; r++) {
      ByteBuffer src = rows.duplicate();
      int s = sourceRow(r, headSize, from, to);
      src.position(s * rowBytes).limit(s * rowBytes + rowBytes);
      out.position(r * rowBytes);
      out.put(src);
    }
    return out.clear();
  }
}
