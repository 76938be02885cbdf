package org.sparsej.train;

import java.nio.FloatBuffer;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * Backward of causal grouped-query attention, out = softmax(q·kᵀ/√d + causal mask)·v, per sequence and head. The
 * probabilities are recomputed from the kept q and k (as FlashAttention's backward does) rather than stored, and the
 * four products per head run on OpenBLAS sgemm:
 * <pre>
 *   P  = softmax(scale·Q·Kᵀ)   (rows causal, and within the sliding window when there is one)
 *   dV += Pᵀ·dO                dP = dO·Vᵀ
 *   dS = P ∘ (dP − rowsum(P ∘ dP)) · scale
 *   dQ = dS·K                  dK += dSᵀ·Q
 * </pre>
 * Heads of one group share their key/value head, so dK and dV sum over the group. The (sequence, key/value head)
 * tasks are independent and run on the pool's threads, each product on one OpenBLAS thread: these products of a
 * few hundred rows are too small for OpenBLAS's own threads, which cost more to wake than they save.
 */
final class AttentionBackward {
  /** Query rows per block: small enough to skip most of the masked triangle, large enough for sgemm to run well. */
  static final int BLOCK = 64;

  private final int seqLen;
  private final int block;
  private final ForkJoinPool pool;
  private final Tensor[] scores;   // per worker [block][seqLen] P
  private final Tensor[] dScores;  // per worker [block][seqLen] dP, then dS

  AttentionBackward(int seqLen, ForkJoinPool pool) {
    this(seqLen, BLOCK, pool);
  }

  /** With {@code block} query rows per block (tests use small blocks to cross block edges). */
  AttentionBackward(int seqLen, int block, ForkJoinPool pool) {
    this.seqLen = seqLen;
    this.block = Math.max(1, Math.min(block, seqLen));
    this.pool = pool;
    int parts = Math.max(1, pool.getParallelism());
    this.scores = new Tensor[parts];
    this.dScores = new Tensor[parts];
    for (int i = 0; i < parts; i++) {
      scores[i] = Tensor.allocate(DType.F32, this.block, seqLen);
      dScores[i] = Tensor.allocate(DType.F32, this.block, seqLen);
    }
  }

  /**
   * Sequences of seqLen rows each (row r of sequence b is batch row b·seqLen + r, at position r). Writes dq
   * [n][nHeads·headSize], dk and dv [n][nKvHeads·headSize] (overwritten, not added).
   */
  void backward(Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k, Tensor v, int sequences,
                int nHeads, int nKvHeads, int headSize, int window) {
    int qDim = nHeads * headSize;
    int kvDim = nKvHeads * headSize;
    int group = nHeads / nKvHeads;
    int t = seqLen;
    float scale = (float) (1.0 / Math.sqrt(headSize));
    zero(dk, (long) sequences * t * kvDim);
    zero(dv, (long) sequences * t * kvDim);
    int tasks = sequences * nKvHeads;
    int parts = Math.min(scores.length, tasks);
    Blas.threads(1);
    try {
      pool.submit(() -> IntStream.range(0, parts).parallel().forEach(p -> {
        for (int task = tasks * p / parts; task < tasks * (p + 1) / parts; task++) {
          int b = task / nKvHeads;
          int kvHead = task % nKvHeads;
          for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
            head(scores[p], dScores[p], dq, dk, dv, dOut, q, k, v, b, h, kvHead, qDim, kvDim, headSize, scale,
                window);
          }
        }
      })).join();
    } finally {
      Blas.threads(pool.getParallelism());
    }
  }

  /**
   * One head h of sequence b, reading and accumulating into its key/value head. Queries go in blocks of
   * {@code block} rows: rows [i0, i1) see keys [k0, i1) only (k0 > 0 with a sliding window), so the products skip
   * the masked upper triangle instead of computing and zeroing it.
   */
  private void head(Tensor scores, Tensor dScores, Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k,
                    Tensor v, int b, int h, int kvHead, int qDim, int kvDim, int headSize, float scale, int window) {
    int t = seqLen;
    long row0 = (long) b * t;
    for (int i0 = 0; i0 < t; i0 += block) {
      int rows = Math.min(block, t - i0);
      int i1 = i0 + rows;
      int k0 = window > 0 ? Math.max(0, i0 - window + 1) : 0;
      int keys = i1 - k0;
      long qh = (row0 + i0) * qDim + (long) h * headSize;
      long kvh = (row0 + k0) * kvDim + (long) kvHead * headSize;
      // S = scale·Q·Kᵀ [rows][keys], then P row by row.
      Blas.gemm(false, true, rows, keys, headSize, scale, q, qh, qDim, k, kvh, kvDim, 0f, scores, 0, keys);
      softmaxCausal(scores, rows, keys, i0 - k0, window);
      // dV += Pᵀ·dO; dP = dO·Vᵀ.
      Blas.gemm(true, false, keys, headSize, rows, 1f, scores, 0, keys, dOut, qh, qDim, 1f, dv, kvh, kvDim);
      Blas.gemm(false, true, rows, keys, headSize, 1f, dOut, qh, qDim, v, kvh, kvDim, 0f, dScores, 0, keys);
      softmaxBackward(dScores, scores, rows, keys, scale);
      // dQ = dS·K; dK += dSᵀ·Q.
      Blas.gemm(false, false, rows, headSize, keys, 1f, dScores, 0, keys, k, kvh, kvDim, 0f, dq, qh, qDim);
      Blas.gemm(true, false, keys, headSize, rows, 1f, dScores, 0, keys, q, qh, qDim, 1f, dk, kvh, kvDim);
    }
  }

  /**
   * Row r of s [rows][keys] is query shift + r among the keys (key j is column j): it keeps columns
   * max(0, shift + r − window + 1) .. shift + r (all up to it when window is 0), softmaxed; the rest become 0.
   */
  private static void softmaxCausal(Tensor s, int rows, int keys, int shift, int window) {
    FloatBuffer f = s.floats();
    for (int r = 0; r < rows; r++) {
      int row = r * keys;
      int last = shift + r;
      int from = window > 0 ? Math.max(0, last - window + 1) : 0;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = from; j <= last; j++) {
        max = Math.max(max, f.get(row + j));
      }
      float sum = 0f;
      for (int j = from; j <= last; j++) {
        float e = (float) Math.exp(f.get(row + j) - max);
        f.put(row + j, e);
        sum += e;
      }
      float inv = 1f / sum;
      for (int j = 0; j < keys; j++) {
        f.put(row + j, j >= from && j <= last ? f.get(row + j) * inv : 0f);
      }
    }
  }

  /** dS = P ∘ (dP − Σ_j P∘dP) · scale, in place on dP [rows][keys]; zero wherever P is (masked entries). */
  private static void softmaxBackward(Tensor dp, Tensor p, int rows, int keys, float scale) {
    FloatBuffer d = dp.floats();
    FloatBuffer pf = p.floats();
    for (int r = 0; r < rows; r++) {
      int row = r * keys;
      float dot = 0f;
      for (int j = 0; j < keys; j++) {
        dot += pf.get(row + j) * d.get(row + j);
      }
      for (int j = 0; j < keys; j++) {
        d.put(row + j, pf.get(row + j) * (d.get(row + j) - dot) * scale);
      }
    }
  }

  private static void zero(Tensor t, long count) {
    FloatBuffer f = t.floats();
    for (int i = 0; i < count; i++) {
      f.put(i, 0f);
    }
  }

}
