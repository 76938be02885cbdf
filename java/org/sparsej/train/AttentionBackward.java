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
 * tasks are independent and run on the pool's threads, each product on one OpenBLAS thread: these 256x256 products
 * are too small for OpenBLAS's own threads, which cost more to wake than they save.
 */
final class AttentionBackward {
  private final int seqLen;
  private final ForkJoinPool pool;
  private final Tensor[] scores;   // per worker [seqLen][seqLen] P
  private final Tensor[] dScores;  // per worker [seqLen][seqLen] dP, then dS

  AttentionBackward(int seqLen, ForkJoinPool pool) {
    this.seqLen = seqLen;
    this.pool = pool;
    int parts = Math.max(1, pool.getParallelism());
    this.scores = new Tensor[parts];
    this.dScores = new Tensor[parts];
    for (int i = 0; i < parts; i++) {
      scores[i] = Tensor.allocate(DType.F32, seqLen, seqLen);
      dScores[i] = Tensor.allocate(DType.F32, seqLen, seqLen);
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

  /** One head h of sequence b, reading and accumulating into its key/value head. */
  private void head(Tensor scores, Tensor dScores, Tensor dq, Tensor dk, Tensor dv, Tensor dOut, Tensor q, Tensor k,
                    Tensor v, int b, int h, int kvHead, int qDim, int kvDim, int headSize, float scale, int window) {
    int t = seqLen;
    long row0 = (long) b * t;
    long qh = row0 * qDim + (long) h * headSize;
    long kvh = row0 * kvDim + (long) kvHead * headSize;
    // S = scale·Q·Kᵀ, then P row by row.
    Blas.gemm(false, true, t, t, headSize, scale, q, qh, qDim, k, kvh, kvDim, 0f, scores, 0, t);
    softmaxCausal(scores, t, window);
    // dV += Pᵀ·dO; dP = dO·Vᵀ.
    Blas.gemm(true, false, t, headSize, t, 1f, scores, 0, t, dOut, qh, qDim, 1f, dv, kvh, kvDim);
    Blas.gemm(false, true, t, t, headSize, 1f, dOut, qh, qDim, v, kvh, kvDim, 0f, dScores, 0, t);
    softmaxBackward(dScores, scores, t, scale);
    // dQ = dS·K; dK += dSᵀ·Q.
    Blas.gemm(false, false, t, headSize, t, 1f, dScores, 0, t, k, kvh, kvDim, 0f, dq, qh, qDim);
    Blas.gemm(true, false, t, headSize, t, 1f, dScores, 0, t, q, qh, qDim, 1f, dk, kvh, kvDim);
  }

  /** Row i keeps columns max(0, i−window+1) .. i (all up to i when window is 0), softmaxed; the rest become 0. */
  private static void softmaxCausal(Tensor s, int t, int window) {
    FloatBuffer f = s.floats();
    for (int i = 0; i < t; i++) {
      int row = i * t;
      int from = window > 0 ? Math.max(0, i - window + 1) : 0;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = from; j <= i; j++) {
        max = Math.max(max, f.get(row + j));
      }
      float sum = 0f;
      for (int j = from; j <= i; j++) {
        float e = (float) Math.exp(f.get(row + j) - max);
        f.put(row + j, e);
        sum += e;
      }
      float inv = 1f / sum;
      for (int j = 0; j < t; j++) {
        f.put(row + j, j >= from && j <= i ? f.get(row + j) * inv : 0f);
      }
    }
  }

  /** dS = P ∘ (dP − Σ_j P∘dP) · scale, in place on dP; zero wherever P is (masked entries). */
  private static void softmaxBackward(Tensor dp, Tensor p, int t, float scale) {
    FloatBuffer d = dp.floats();
    FloatBuffer pf = p.floats();
    for (int i = 0; i < t; i++) {
      int row = i * t;
      float dot = 0f;
      for (int j = 0; j <= i; j++) {
        dot += pf.get(row + j) * d.get(row + j);
      }
      for (int j = 0; j < t; j++) {
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
